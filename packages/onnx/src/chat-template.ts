import { Template } from '@huggingface/jinja';
import {
  type ChatMessage,
  InvalidInputError,
  type JsonSchema,
  ModelLoadError,
  type SchemaLike,
  toJsonSchema,
  UnsupportedError,
} from '@mlkit/core';

/** A message as Hugging Face chat templates read it (`tool_calls` with object arguments, `tool_call_id`). */
export interface TemplateMessage {
  role: string;
  content: string;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: unknown } }[];
  tool_call_id?: string;
  /** A tool message's tool name (some templates, e.g. Llama's and Mistral's, read it). */
  name?: string;
}

/** A tool as Hugging Face chat templates read the `tools` variable. */
export interface TemplateTool {
  type: 'function';
  function: { name: string; description?: string; parameters: JsonSchema };
}

/** A compiled chat template: messages (and the tools to offer) in, the prompt text the model was trained on out. */
export type ChatRenderer = (messages: TemplateMessage[], tools?: TemplateTool[]) => string;

function parsedArguments(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? {};
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * The task's messages in Hugging Face's shape. Text parts of a user message join with "\n"; an image
 * part is an UnsupportedError before any inference: these models read text only.
 */
export function templateMessages(messages: readonly ChatMessage[]): TemplateMessage[] {
  const toolNames = new Map<string, string>();
  return messages.map((message, i) => {
    switch (message.role) {
      case 'user': {
        if (typeof message.content === 'string') return { role: 'user', content: message.content };
        const texts = message.content.map((part, j) => {
          if (part.type === 'text') return part.text;
          const param = `input.messages[${i}].content[${j}]`;
          throw new UnsupportedError(
            `${param} is an image; this model reads text only; vision-language models come with the vision tasks`,
            { param },
          );
        });
        return { role: 'user', content: texts.join('\n') };
      }
      case 'assistant': {
        const out: TemplateMessage = { role: 'assistant', content: message.content ?? '' };
        if (message.toolCalls?.length) {
          out.tool_calls = message.toolCalls.map((call) => {
            toolNames.set(call.id, call.name);
            return {
              id: call.id,
              type: 'function',
              function: { name: call.name, arguments: parsedArguments(call.arguments) },
            };
          });
        }
        return out;
      }
      case 'tool': {
        const out: TemplateMessage = {
          role: 'tool',
          content: message.content,
          tool_call_id: message.toolCallId,
        };
        const name = toolNames.get(message.toolCallId);
        if (name !== undefined) out.name = name;
        return out;
      }
      default:
        return { role: message.role, content: message.content };
    }
  });
}

/** The task's tools as the `tools` variable of Hugging Face chat templates. */
export function templateTools(
  tools: readonly { name: string; description?: string | undefined; parameters: SchemaLike }[],
): TemplateTool[] {
  return tools.map((tool) => ({
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      parameters: toJsonSchema(tool.parameters),
    },
  }));
}

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
  return (messages, tools) => {
    try {
      return template.render({
        ...specialTokens,
        messages,
        ...(tools?.length ? { tools } : {}),
        add_generation_prompt: true,
      });
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
