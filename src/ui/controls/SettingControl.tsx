import { useEffect, useId, useState } from 'react';
import type { Setting, SettingValue } from '../../methods/schema';
import { formatSettingValue } from '../../methods/schema';

interface Props {
  setting: Setting;
  value: SettingValue;
  /** Returns an error message when the value is rejected. */
  onChange(value: SettingValue): string | null;
  /** Marks settings that differ from the running run's (need Reset). */
  pending: boolean;
  /** Choices beyond the schema's (the dataset menu's image sets), with how to label them. */
  extraChoices?: readonly { value: string; label: string }[];
}

/** One setting: label, the right input for its kind, its range and one line of help. */
export function SettingControl({ setting, value, onChange, pending, extraChoices = [] }: Props) {
  const id = useId();
  const helpId = `${id}-help`;
  const [draft, setDraft] = useState(() => formatSettingValue(setting, value));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setDraft(formatSettingValue(setting, value));
    setError(null);
  }, [setting, value]);

  const commit = (next: SettingValue) => setError(onChange(next));

  let input;
  if (setting.kind === 'boolean') {
    input = (
      <input id={id} type="checkbox" checked={Boolean(value)} aria-describedby={helpId}
        onChange={(event) => commit(event.target.checked)} />
    );
  } else if (setting.kind === 'choice') {
    input = (
      <select id={id} value={String(value)} aria-describedby={helpId} onChange={(event) => commit(event.target.value)}>
        {setting.choices.map((choice) => <option key={choice} value={choice}>{choice}</option>)}
        {extraChoices.map((choice) => <option key={`extra:${choice.value}`} value={choice.value}>{choice.label}</option>)}
      </select>
    );
  } else {
    const commitDraft = () => {
      const parsed = Number(draft);
      if (draft.trim() === '' || !Number.isFinite(parsed)) {
        setError(`${setting.label} must be a number`);
        return;
      }
      if (parsed !== value) commit(parsed);
    };
    const field = (
      <input id={id} type="number" inputMode="decimal" value={draft} min={setting.min} max={setting.max}
        step={setting.integer ? 1 : 'any'} aria-describedby={helpId} aria-invalid={error ? true : undefined}
        onChange={(event) => setDraft(event.target.value)}
        onBlur={commitDraft}
        onKeyDown={(event) => { if (event.key === 'Enter') commitDraft(); }} />
    );
    input = setting.slider ? (
      <span className="setting-slider">
        <input type="range" min={setting.min} max={setting.max} step={setting.step} value={Number(value)}
          aria-label={`${setting.label} slider`} aria-describedby={helpId}
          onChange={(event) => commit(Number(event.target.value))} />
        {field}
      </span>
    ) : field;
  }

  const range = setting.kind === 'number' ? `${setting.min}–${setting.max}${setting.unit ? ` ${setting.unit}` : ''}` : null;
  return (
    <div className={`setting setting-${setting.kind}${pending ? ' setting-pending' : ''}`} data-setting={setting.name}>
      <label htmlFor={id}>
        {setting.label}
        {pending && <span className="pending-dot" title="Differs from the running run: Reset to apply"> •</span>}
      </label>
      {input}
      <p id={helpId} className="help">
        {setting.help}
        {range && <span className="range"> Range {range}.</span>}
      </p>
      {error && <p className="field-error" role="alert">{error}</p>}
    </div>
  );
}
