import { agreementOf as coreAgreementOf, type TaskName } from '@mlkit/core';

/** What "agree" means for each task, in the report's words. */
export const agreementMeaning: Record<TaskName, string> = {
  'text-generation': 'exact text match',
  classification: 'label match',
  embedding: 'mean embedding cosine',
  tensor: 'equal output tensors',
  'image-classification': 'top label match',
  'object-detection': 'detections matched (same label, IoU >= 0.5)',
  'speech-to-text': 'exact text match',
  'text-to-speech': 'not compared (audio)',
};

/** How far two outputs of one input agree, 0 to 1: core's measure (the one `shadow()` reports). */
export function agreementOf(task: TaskName, a: unknown, b: unknown): number {
  return coreAgreementOf(task, a, b) ?? 0;
}
