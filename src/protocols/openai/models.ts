/** OpenAI's model listing (`GET models`), both directions. */
import type { ModelList } from './schemas.ts';

/** One model a server offers. */
export interface ModelInfo {
  /** The name to pass to `textGeneration()` or `embedding()`. */
  id: string;
  /** Unix seconds, where the server says. */
  created?: number;
  ownedBy?: string;
}

/** Client: a model list (schema-checked) in mlkit's names; fields a server leaves out stay out. */
export function toModelInfos(list: ModelList): ModelInfo[] {
  return list.data.map((model) => {
    const info: ModelInfo = { id: model.id };
    if (model.created != null) info.created = model.created;
    if (model.owned_by != null) info.ownedBy = model.owned_by;
    return info;
  });
}

/** Server: one served model as OpenAI's `model` object, with its mlkit `task` added. */
export function modelObject(model: { modelName: string; task: string }, createdSeconds: number) {
  return {
    id: model.modelName,
    object: 'model',
    created: createdSeconds,
    owned_by: 'mlkit',
    task: model.task,
  };
}

/** Server: the served models as OpenAI's `list`. */
export function modelList(models: readonly { modelName: string; task: string }[], createdSeconds: number) {
  return { object: 'list', data: models.map((model) => modelObject(model, createdSeconds)) };
}
