import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { refreshImageSets } from './state/imageSets';
import { openIntroOnFirstVisit } from './state/intro';
import { startTheme } from './state/theme';
import { runner } from './state/runner';
import { files } from './state/runFiles';
import { openFromLocation, startUrlSync } from './state/urlSync';
import { App } from './ui/App';
import './ui/styles.css';

// The link is read before the first render, so the page opens on the linked runs. They are
// built right away (paused at step 0): the backend line and the attention maps of the
// untrained network are there before the first click.
openFromLocation();
startUrlSync();
openIntroOnFirstVisit();
startTheme();
// Runs kept in this browser from earlier visits, listed under the runs bar to reopen.
void files.refreshSaved();
// The visitor's image sets, for the dataset menu.
void refreshImageSets();

// A hook for tests and for anyone debugging recovery: destroys the GPU device the run uses.
(window as unknown as { sslPlayground: object }).sslPlayground = {
  simulateDeviceLoss: () => runner.simulateDeviceLoss(),
};

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
