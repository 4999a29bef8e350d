import type { TaskName } from '@mlkit/core';
import type { ModelFolder } from './folder.ts';
import type { Session } from './session.ts';

/**
 * The task a model is for, from config.json `architectures` and the model's inputs and outputs:
 * scikit-learn outputs or `*ForSequenceClassification` -> classification; `*LMHeadModel`,
 * `*ForCausalLM` or a KV cache -> text-generation; an encoder with a tokenizer -> embedding;
 * anything else -> tensor.
 */
export function inferTask(folder: ModelFolder, session: Session): TaskName {
  const architectures = folder.config?.architectures;
  const architecture =
    Array.isArray(architectures) && typeof architectures[0] === 'string' ? architectures[0] : '';
  const outputs = session.outputs;
  const inputs = session.inputs;
  if (outputs.has('output_label') || outputs.has('output_probability')) return 'classification';
  if (/ForSequenceClassification$/.test(architecture)) return 'classification';
  if (/(LMHeadModel|ForCausalLM)$/.test(architecture)) return 'text-generation';
  if ([...inputs.keys()].some((name) => name.startsWith('past_key_values.'))) return 'text-generation';
  const logits = outputs.get('logits');
  const logitsRank = logits?.shape?.length;
  if (logits && logitsRank === 3 && inputs.has('input_ids') && folder.tokenizerJson) return 'text-generation';
  if (logits && logitsRank === 2) return 'classification';
  const tokenLevel = ['last_hidden_state', 'token_embeddings', 'sentence_embedding'].some((name) =>
    outputs.has(name),
  );
  if (
    inputs.has('input_ids') &&
    folder.tokenizerJson &&
    (tokenLevel || /(Model|ForFeatureExtraction)$/.test(architecture))
  ) {
    return 'embedding';
  }
  return 'tensor';
}
