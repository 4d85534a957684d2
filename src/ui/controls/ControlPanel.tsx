import { useMemo } from 'react';
import type { SettingValue } from '../../methods/schema';
import { runner } from '../../state/runner';
import { actions, changedSinceRun, selectMethod, useAppStore, type StoreState } from '../../state/store';
import { SettingControl } from './SettingControl';

const selectValues = (state: StoreState) => state.experiment.values;
// A string, so the selector's result compares equal between renders.
const selectPending = (state: StoreState) => changedSinceRun(state).map((s) => s.name).join(',');
const selectPresetId = (state: StoreState) => state.experiment.presetId;

/** Every setting of the method, grouped as its description says, with presets on top. */
export function ControlPanel() {
  const method = useAppStore(selectMethod);
  const values = useAppStore(selectValues);
  const pending = new Set(useAppStore(selectPending).split(','));
  const presetId = useAppStore(selectPresetId);
  const preset = method.presets.find((p) => p.id === presetId);
  const groups = useMemo(
    () => method.groups.map((group) => ({ ...group, settings: method.settings.filter((s) => s.group === group.id) })),
    [method],
  );

  const change = (name: string, value: SettingValue) => {
    const error = actions.setValue(name, value);
    if (!error && method.liveSettings.includes(name)) runner.setLive({ [name]: value });
    return error;
  };

  return (
    <aside className="control-panel" aria-label="Settings">
      <div className="preset-row">
        <label htmlFor="preset-select">Preset</label>
        <select id="preset-select" value={presetId} onChange={(event) => actions.applyPreset(event.target.value)}>
          {method.presets.map((p) => <option key={p.id} value={p.id}>{p.label}</option>)}
        </select>
        {preset && <p className="help">{preset.description}</p>}
      </div>
      {groups.map((group) => (
        <details key={group.id} className="setting-group" open={group.id !== 'data' && group.id !== 'run'}>
          <summary>{group.label}</summary>
          {group.settings.map((setting) => (
            <SettingControl
              key={setting.name}
              setting={setting}
              value={values[setting.name]}
              onChange={(value) => change(setting.name, value)}
              pending={pending.has(setting.name)}
            />
          ))}
        </details>
      ))}
    </aside>
  );
}
