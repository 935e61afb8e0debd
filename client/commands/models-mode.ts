/** `nightshift models mode`: a model's default training mode (full or update) for runs that name none. */
import os from 'node:os';
import type { ConfigSource } from '../catalog.ts';
import { printJson } from '../output.ts';
import { choiceFlag, modelFlag, parse, UsageError } from './args.ts';
import { withRegistry } from './connect.ts';
import { getModel } from '../../registry/models.ts';
import { modelSettings, setTrainingMode } from '../../registry/model-settings.ts';

export async function modelsMode(argv: string[], config: ConfigSource): Promise<number> {
  const { values } = parse(argv, {
    model: { type: 'string' },
    set: { type: 'string' },
    reason: { type: 'string' },
    actor: { type: 'string' },
    json: { type: 'boolean' },
  });
  const name = modelFlag(values.model, 'models mode');
  const mode = choiceFlag('set', values.set, ['full', 'update'] as const);
  if (mode && !values.reason?.trim()) throw new UsageError('changing the training mode needs --reason TEXT saying why');
  return withRegistry(config, async (registry) => {
    const model = await getModel(registry.db, name);
    const settings = mode
      ? await setTrainingMode(registry.db, model.id, mode, `person:${values.actor ?? os.userInfo().username}`, values.reason!)
      : await modelSettings(registry.db, model.id);
    if (values.json) printJson({ model: model.name, ...settings });
    else
      process.stdout.write(
        `${model.name}: runs that name no --mode train ${settings.trainingMode === 'update' ? 'in update mode (continue the production version)' : 'in full (from zero on all history)'}${settings.changedBy ? ` (set by ${settings.changedBy}: ${settings.reason})` : ' (the default)'}\n`,
      );
    return 0;
  });
}
