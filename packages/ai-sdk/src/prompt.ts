// The AI SDK's prompt (LanguageModelV4Prompt) as mlkit chat messages, and back. What one side has no
// place for becomes a warning (AI SDK side) or an UnsupportedError (mlkit side), never a silent drop.
import type {
  LanguageModelV4FilePart,
  LanguageModelV4Message,
  LanguageModelV4Prompt,
  LanguageModelV4TextPart,
  LanguageModelV4ToolResultOutput,
  SharedV4Warning,
} from '@ai-sdk/provider';
import type { ChatMessage, ImagePart, TextPart } from '@mlkit/core';

type UserPart = TextPart | ImagePart;
type AssistantMessage = Extract<ChatMessage, { role: 'assistant' }>;
type MlkitToolCall = NonNullable<AssistantMessage['toolCalls']>[number];

/** A file part as an mlkit image part, or why it cannot be one. */
function imageOf(part: LanguageModelV4FilePart): ImagePart | string {
  const mediaType = part.mediaType.toLowerCase();
  if (mediaType !== 'image' && !mediaType.startsWith('image/')) {
    return `file parts of media type ${part.mediaType} (mlkit text generation reads text and images only)`;
  }
  // A full type such as image/png; a bare 'image' (or image/*) leaves the type to the data itself.
  const fullType = /^image\/[\w.+-]+$/.test(mediaType) && mediaType !== 'image/*' ? mediaType : undefined;
  const data = part.data;
  switch (data.type) {
    case 'url':
      if (!/^(https?|data):$/.test(data.url.protocol)) {
        return `image URLs of scheme ${data.url.protocol} (http:, https: and data: are read)`;
      }
      return { type: 'image', image: data.url, ...(fullType ? { mediaType: fullType } : {}) };
    case 'data': {
      const mediaTypeOfData = fullType ?? sniffImageType(data.data);
      if (!mediaTypeOfData) return 'image bytes without a full media type such as image/png';
      // Any backing buffer is read; the schema's type names ArrayBuffer only.
      return {
        type: 'image',
        image: data.data as Uint8Array<ArrayBuffer> | string,
        mediaType: mediaTypeOfData,
      };
    }
    default:
      return `image parts given as a provider ${data.type} (give the bytes or a URL)`;
  }
}

/** The image type of bytes (or base64 text) from their first bytes, for PNG, JPEG, GIF and WebP. */
function sniffImageType(data: Uint8Array | string): string | undefined {
  const head = typeof data === 'string' ? data.slice(0, 16) : '';
  if (typeof data === 'string') {
    if (head.startsWith('iVBORw0KGgo')) return 'image/png';
    if (head.startsWith('/9j/')) return 'image/jpeg';
    if (head.startsWith('R0lGOD')) return 'image/gif';
    if (head.startsWith('UklGR')) return 'image/webp';
    return undefined;
  }
  const bytes = data;
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46) return 'image/gif';
  if (bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50) return 'image/webp';
  return undefined;
}

/** A tool result's output as the text of an mlkit tool message. */
function toolResultText(
  output: LanguageModelV4ToolResultOutput,
  warn: (warning: SharedV4Warning) => void,
): string {
  switch (output.type) {
    case 'text':
    case 'error-text':
      return output.value;
    case 'json':
    case 'error-json':
      return JSON.stringify(output.value);
    case 'execution-denied':
      return output.reason ?? 'The tool was not run: the user denied it.';
    case 'content': {
      const texts: string[] = [];
      for (const part of output.value) {
        if (part.type === 'text') texts.push(part.text);
        else
          warn({
            type: 'unsupported',
            feature: `tool results with ${part.type} content`,
            details: 'only its text is sent',
          });
      }
      return texts.join('\n');
    }
  }
}

/**
 * The AI SDK prompt as mlkit messages. Parts mlkit cannot carry (non-image files, reasoning, custom
 * parts, provider-executed tool results, tool approvals) are left out with an `unsupported` warning.
 */
export function messagesFromPrompt(
  prompt: LanguageModelV4Prompt,
  warn: (warning: SharedV4Warning) => void,
): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const message of prompt) {
    switch (message.role) {
      case 'system':
        messages.push({ role: 'system', content: message.content });
        break;
      case 'user': {
        const parts: UserPart[] = [];
        for (const part of message.content) {
          if (part.type === 'text') {
            parts.push({ type: 'text', text: part.text });
            continue;
          }
          const image = imageOf(part);
          if (typeof image === 'string')
            warn({ type: 'unsupported', feature: image, details: 'the part was left out' });
          else parts.push(image);
        }
        const onlyText = parts.every((part) => part.type === 'text');
        messages.push({
          role: 'user',
          content: onlyText ? parts.map((part) => (part as TextPart).text).join('') : parts,
        });
        break;
      }
      case 'assistant': {
        let text = '';
        const toolCalls: MlkitToolCall[] = [];
        for (const part of message.content) {
          if (part.type === 'text') text += part.text;
          else if (part.type === 'tool-call') {
            toolCalls.push({ id: part.toolCallId, name: part.toolName, arguments: part.input });
          } else {
            warn({
              type: 'unsupported',
              feature: `${part.type} parts in assistant messages`,
              details: 'the part was left out of the conversation sent to the model',
            });
          }
        }
        messages.push(
          toolCalls.length > 0
            ? { role: 'assistant', content: text, toolCalls }
            : { role: 'assistant', content: text },
        );
        break;
      }
      case 'tool':
        for (const part of message.content) {
          if (part.type === 'tool-result') {
            messages.push({
              role: 'tool',
              toolCallId: part.toolCallId,
              content: toolResultText(part.output, warn),
            });
          } else {
            warn({
              type: 'unsupported',
              feature: 'tool approval responses',
              details: 'the part was left out',
            });
          }
        }
        break;
    }
  }
  return messages;
}

const DATA_URL = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s;

/** An mlkit image part as an AI SDK file part. */
function filePartOf(part: ImagePart): LanguageModelV4FilePart {
  const image = part.image;
  if (image instanceof Uint8Array)
    return { type: 'file', mediaType: part.mediaType ?? 'image', data: { type: 'data', data: image } };
  if (image instanceof ArrayBuffer) {
    return {
      type: 'file',
      mediaType: part.mediaType ?? 'image',
      data: { type: 'data', data: new Uint8Array(image) },
    };
  }
  const text = image instanceof URL ? image.href : image;
  const dataUrl = DATA_URL.exec(text);
  if (dataUrl) return { type: 'file', mediaType: dataUrl[1]!, data: { type: 'data', data: dataUrl[2]! } };
  if (/^https?:/i.test(text))
    return { type: 'file', mediaType: part.mediaType ?? 'image', data: { type: 'url', url: new URL(text) } };
  return { type: 'file', mediaType: part.mediaType ?? 'image', data: { type: 'data', data: text } };
}

/** A tool call's arguments as the AI SDK wants them in a prompt: a JSON value, parsed if given as JSON text. */
function inputOf(argumentsOfCall: unknown): unknown {
  if (typeof argumentsOfCall !== 'string') return argumentsOfCall;
  try {
    return JSON.parse(argumentsOfCall);
  } catch {
    return argumentsOfCall;
  }
}

/** mlkit messages (or a prompt) as the AI SDK's prompt; tool messages get the name of the call they answer. */
export function promptFromMessages(messages: readonly ChatMessage[]): LanguageModelV4Prompt {
  const prompt: LanguageModelV4Prompt = [];
  const toolNames = new Map<string, string>();
  for (const message of messages) {
    switch (message.role) {
      case 'system':
        prompt.push({ role: 'system', content: message.content });
        break;
      case 'user': {
        const content: Array<LanguageModelV4TextPart | LanguageModelV4FilePart> =
          typeof message.content === 'string'
            ? [{ type: 'text', text: message.content }]
            : message.content.map((part) =>
                part.type === 'text' ? { type: 'text', text: part.text } : filePartOf(part),
              );
        prompt.push({ role: 'user', content });
        break;
      }
      case 'assistant': {
        const content: Extract<LanguageModelV4Message, { role: 'assistant' }>['content'] = [];
        if (message.content) content.push({ type: 'text', text: message.content });
        for (const call of message.toolCalls ?? []) {
          toolNames.set(call.id, call.name);
          content.push({
            type: 'tool-call',
            toolCallId: call.id,
            toolName: call.name,
            input: inputOf(call.arguments),
          });
        }
        prompt.push({ role: 'assistant', content });
        break;
      }
      case 'tool': {
        const part = {
          type: 'tool-result' as const,
          toolCallId: message.toolCallId,
          toolName: toolNames.get(message.toolCallId) ?? '',
          output: { type: 'text' as const, value: message.content },
        };
        // Consecutive tool results go in one tool message, as the AI SDK builds them.
        const last = prompt.at(-1);
        if (last?.role === 'tool') last.content.push(part);
        else prompt.push({ role: 'tool', content: [part] });
        break;
      }
    }
  }
  return prompt;
}
