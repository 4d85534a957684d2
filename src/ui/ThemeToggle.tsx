import { nextTheme } from '../state/theme';
import { useAppStore, type StoreState } from '../state/store';

const selectTheme = (state: StoreState) => state.theme;
const selectResolvedTheme = (state: StoreState) => state.resolvedTheme;
const NEXT = { auto: 'dark', dark: 'light', light: 'the system’s choice' } as const;

/** Light, dark, or as the system says (the default): cycles on click. */
export function ThemeToggle({ className }: { className?: string }) {
  const theme = useAppStore(selectTheme);
  const resolved = useAppStore(selectResolvedTheme);
  const label = theme === 'auto' ? `Theme: auto (${resolved})` : `Theme: ${theme}`;
  return (
    <button type="button" className={className} onClick={nextTheme} data-testid="theme-toggle" aria-label={label}
      title={`${label}. Click for ${NEXT[theme]}.`}>
      <span aria-hidden="true">◐</span><span className="theme-button__text"> {theme === 'auto' ? 'Auto' : theme === 'dark' ? 'Dark' : 'Light'}</span>
    </button>
  );
}
