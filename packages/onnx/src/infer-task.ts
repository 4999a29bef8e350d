import type { TaskName } from '@mlkit/core';
import type { ModelFolder } from './folder.ts';
import type { Session } from './session.ts';

/**
 * The task a model is for, from config.json `architectures` and the model's inputs and outputs:
 * scikit-learn outputs or `*ForSequenceClassification` -> classification; `*ForImageClassification`,
 * or pixel_values in and logits [batch, classes] out -> image-classification; `*ForObjectDetection`,
 * or one image input and one YOLO-style output [batch, 4 + classes, candidates] whose class count
 * is id2label's -> object-detection; `*ForCTC`, `WhisperForConditionalGeneration` or a Whisper
 * decoder over `encoder_hidden_states` (its encoder + decoder files) -> speech-to-text; `VitsModel`
 * or a `waveform` output -> text-to-speech; `*LMHeadModel`, `*ForCausalLM` or a KV cache ->
 * text-generation; an encoder with a tokenizer -> embedding;
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
  if (/ForImageClassification$/.test(architecture)) return 'image-classification';
  if (/ForObjectDetection$/.test(architecture)) return 'object-detection';
  if (isYoloStyle(folder, session)) return 'object-detection';
  if (/ForCTC$/.test(architecture) || architecture === 'WhisperForConditionalGeneration')
    return 'speech-to-text';
  if (inputs.has('encoder_hidden_states') && folder.config?.model_type === 'whisper') return 'speech-to-text';
  if (architecture === 'VitsModel' || outputs.has('waveform')) return 'text-to-speech';
  if (/(LMHeadModel|ForCausalLM)$/.test(architecture)) return 'text-generation';
  if ([...inputs.keys()].some((name) => name.startsWith('past_key_values.'))) return 'text-generation';
  const logits = outputs.get('logits');
  const logitsRank = logits?.shape?.length;
  if (logits && logitsRank === 3 && inputs.has('input_ids') && folder.tokenizerJson) return 'text-generation';
  if (logits && logitsRank === 2)
    return inputs.has('pixel_values') ? 'image-classification' : 'classification';
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

/** One float image input [batch, channels, height, width] and one output [batch, 4 + classes, candidates] (or its transpose). */
function isYoloStyle(folder: ModelFolder, session: Session): boolean {
  const id2label = folder.config?.id2label;
  const classes = id2label && typeof id2label === 'object' ? Object.keys(id2label).length : 0;
  const [input, ...moreInputs] = session.inputs.values();
  const [output, ...moreOutputs] = session.outputs.values();
  if (!input || !output || moreInputs.length > 0 || moreOutputs.length > 0 || classes === 0) return false;
  if (!input.type?.startsWith('float') || input.shape?.length !== 4 || output.shape?.length !== 3)
    return false;
  return output.shape[1] === 4 + classes || output.shape[2] === 4 + classes;
}
