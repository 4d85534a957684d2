import { actions, useAppStore, type StoreState } from '../state/store';

const selectNotices = (state: StoreState) => state.notices;

/** Link problems, fallbacks and errors: named, dismissable, never blocking the page. */
export function Notices() {
  const notices = useAppStore(selectNotices);
  if (notices.length === 0) return null;
  return (
    <ul className="notices" aria-label="Notices" data-testid="notices">
      {notices.map((notice) => (
        <li key={notice.id} className={`notice notice-${notice.level}`} role={notice.level === 'error' ? 'alert' : 'status'}>
          <span>{notice.text}</span>
          <button type="button" aria-label="Dismiss notice" onClick={() => actions.dismissNotice(notice.id)}>×</button>
        </li>
      ))}
    </ul>
  );
}
