import { Template } from '@huggingface/jinja';
import { InvalidInputError, ModelLoadError } from '@mlkit/core';

export interface ChatMessageLike {
  role: string;
  content: string;
}

/** A compiled chat template: messages in, the prompt text the model was trained on out. */
export type ChatRenderer = (messages: ChatMessageLike[]) => string;

/** Compile a Jinja chat template once; render with the special tokens templates refer to. */
export function compileChatTemplate(
  source: string,
  specialTokens: Record<string, string>,
  label: string,
): ChatRenderer {
  let template: Template;
  try {
    template = new Template(source);
  } catch (error) {
    throw new ModelLoadError(`${label}: the chat template does not parse (${(error as Error).message})`, {
      cause: error,
    });
  }
  return (messages) => {
    try {
      return template.render({ ...specialTokens, messages, add_generation_prompt: true });
    } catch (error) {
      // Templates reject conversations they cannot format (raise_exception), e.g. roles not alternating.
      const message = (error as Error).message;
      throw new InvalidInputError(
        `Invalid input — input.messages: the model's chat template refused them: ${message}`,
        {
          issues: [{ path: 'input.messages', message }],
          cause: error,
        },
      );
    }
  };
}
