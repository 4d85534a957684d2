import { useMemo, useState, type ReactNode } from 'react';
import { ADVANCED_GROUPS } from '../../methods/common';
import type { SettingValue } from '../../methods/schema';
import { runner } from '../../state/runner';
import { actions, changedSinceRun, selectMethod, useAppStore, type StoreState } from '../../state/store';
import { useImageStore } from '../../state/imageSets';
import { ImageSetsPanel } from '../data/ImageSetsPanel';
import { SettingControl } from './SettingControl';

const selectValues = (state: StoreState) => state.experiment.values;
// A string, so the selector's result compares equal between renders.
const selectPending = (state: StoreState) => changedSinceRun(state).map((s) => s.name).join(',');
const selectPresetId = (state: StoreState) => state.experiment.presetId;
const selectSetNames = (state: { sets: { name: string }[] | null }) => (state.sets ?? []).map((s) => s.name).join('\n');
const selectAdding = (state: { adding: unknown }) => state.adding !== null;

/** Every setting of the method, grouped as its description says, with presets on top. */
export function ControlPanel() {
  const method = useAppStore(selectMethod);
  const values = useAppStore(selectValues);
  const pending = new Set(useAppStore(selectPending).split(','));
  const presetId = useAppStore(selectPresetId);
  const preset = method.presets.find((p) => p.id === presetId);
  const setNames = useImageStore(selectSetNames);
  const adding = useImageStore(selectAdding);
  const dataset = String(values.dataset);
  // The dataset menu: shapes, the sets kept here, and a link's set this browser lacks (named as such).
  const datasetChoices = useMemo(() => {
    const names = setNames ? setNames.split('\n') : [];
    const choices = names.map((name) => ({ value: name, label: `${name} (yours)` }));
    if (dataset !== 'shapes' && !names.includes(dataset)) choices.push({ value: dataset, label: `${dataset} (not in this browser)` });
    return choices;
  }, [setNames, dataset]);
  // Data first: what a run trains on is the first choice, and where the visitor's own images go.
  const groups = useMemo(
    () => [...method.groups]
      .sort((a, b) => Number(b.id === 'data') - Number(a.id === 'data'))
      .map((group) => ({ ...group, settings: method.settings.filter((s) => s.group === group.id) })),
    [method],
  );

  const [advancedOpen, setAdvancedOpen] = useState(false);
  const basic = groups.filter((group) => !ADVANCED_GROUPS.has(group.id));
  const advanced = groups.filter((group) => ADVANCED_GROUPS.has(group.id));

  const change = (name: string, value: SettingValue) => {
    const error = actions.setValue(name, value);
    if (!error && method.liveSettings.includes(name)) runner.setLive({ [name]: value });
    return error;
  };

  const renderGroup = (group: (typeof groups)[number]): ReactNode => (

    <details key={group.id} className="setting-group"
      open={group.id === 'data' ? adding || dataset !== 'shapes' : group.id !== 'run'}>
      <summary>
        {group.label}
        {group.id === 'data' && (
          <span className="setting-group__note">{dataset === 'shapes' ? ' · shapes, or your own images' : ` · ${dataset}`}</span>
        )}
      </summary>
      {group.settings.map((setting) => (
        <SettingControl
          key={setting.name}
          setting={setting}
          value={values[setting.name]}
          onChange={(value) => change(setting.name, value)}
          pending={pending.has(setting.name)}
          extraChoices={setting.name === 'dataset' ? datasetChoices : undefined}
        />
      ))}
      {group.id === 'data' && <ImageSetsPanel />}
    </details>
  );

  return (
    <aside className="control-panel" aria-label="Settings">
      <div className="preset-row">
        <label htmlFor="preset-select">Preset</label>
        <select id="preset-select" value={presetId} onChange={(event) => actions.applyPreset(event.target.value)}>
          {method.presets.map((p) => <option key={p.id} value={p.id}>{p.label}</option>)}
        </select>
        {preset && <p className="help">{preset.description}</p>}
      </div>
      {basic.map(renderGroup)}
      <details className="advanced-settings" open={advancedOpen || advanced.some((group) => group.settings.some((s) => pending.has(s.name)))}
        onToggle={(event) => setAdvancedOpen(event.currentTarget.open)} data-testid="advanced-settings">
        <summary>Advanced <span className="setting-group__note">· {advanced.map((group) => group.label.toLowerCase()).join(', ')}</span></summary>
        {advanced.map(renderGroup)}
      </details>
    </aside>
  );
}
