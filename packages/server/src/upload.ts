/**
 * Uploaded files: a multipart/form-data body (OpenAI's audio endpoints, HTML forms) or the file's
 * raw bytes as the body (`curl --data-binary @cat.png -H 'Content-Type: image/png'`), read within
 * `limits.maxUploadBytes`. The parsing itself is the platform's (`Response.formData()`).
 */
import { type BodyLimits, readBytes } from './body.ts';
import { HttpError } from './errors.ts';

/** What an upload may be; `limits.*` of the server options. */
export interface UploadLimits extends Omit<BodyLimits, 'maxBodyBytes'> {
  maxUploadBytes: number;
}

/** One uploaded file: its bytes, its declared media type ('' when none) and filename (multipart only). */
export interface UploadedFile {
  bytes: Uint8Array<ArrayBuffer>;
  mediaType: string;
  filename: string | undefined;
}

/** A read upload: the file, and the form's other fields (none for a raw-bytes body). */
export interface Upload {
  file: UploadedFile;
  fields: FormData | undefined;
}

const mediaTypeOf = (contentType: string | null | undefined) =>
  (contentType ?? '').split(';')[0]!.trim().toLowerCase();

const isMultipart = (contentType: string | null) => mediaTypeOf(contentType) === 'multipart/form-data';

/** The body's bytes within `maxUploadBytes`: 413 (from Content-Length before any read, else while reading). */
async function uploadBytes(request: Request, limits: UploadLimits, signal: AbortSignal): Promise<Uint8Array> {
  try {
    return await readBytes(request, { ...limits, maxBodyBytes: limits.maxUploadBytes }, signal);
  } catch (error) {
    if (error instanceof HttpError && error.status === 413) {
      throw new HttpError(
        413,
        `The upload is larger than ${limits.maxUploadBytes} bytes (limits.maxUploadBytes); send a smaller file`,
        { code: 'body_too_large' },
      );
    }
    throw error;
  }
}

/**
 * Read a multipart/form-data body: 400 (OpenAI's error shape, like every 4xx here) unless the body
 * is multipart and parses, 413 past `maxUploadBytes`.
 */
export async function readMultipart(
  request: Request,
  limits: UploadLimits,
  signal: AbortSignal,
): Promise<FormData> {
  const contentType = request.headers.get('content-type');
  if (!isMultipart(contentType)) {
    throw new HttpError(
      400,
      `Send the file as multipart/form-data (got ${contentType ? `"${contentType.slice(0, 80)}"` : 'no Content-Type'})`,
      { code: 'invalid_multipart' },
    );
  }
  const bytes = await uploadBytes(request, limits, signal);
  try {
    return await new Response(bytes as Uint8Array<ArrayBuffer>, {
      headers: { 'content-type': contentType! },
    }).formData();
  } catch (cause) {
    throw new HttpError(400, 'The multipart/form-data body does not parse; check its boundary and parts', {
      code: 'invalid_multipart',
      cause,
    });
  }
}

/** The file in form field `field`, or a 400 naming the field. */
export async function formFile(form: FormData, field: string): Promise<UploadedFile> {
  const value = form.get(field);
  if (value === null || typeof value === 'string') {
    throw new HttpError(
      400,
      `The form needs a file in field "${field}"${value === null ? '' : ' (got a text field)'}`,
      { code: 'missing_file', param: field },
    );
  }
  return {
    bytes: new Uint8Array(await value.arrayBuffer()),
    mediaType: mediaTypeOf(value.type),
    filename: value.name || undefined,
  };
}

/**
 * Read an uploaded file from a multipart body (field `field`, the other fields beside it) or from
 * a raw body of any non-JSON Content-Type (the whole body is the file); 400 for an empty file.
 */
export async function readUpload(
  request: Request,
  limits: UploadLimits,
  signal: AbortSignal,
  field = 'file',
): Promise<Upload> {
  const contentType = request.headers.get('content-type');
  let upload: Upload;
  if (isMultipart(contentType)) {
    const fields = await readMultipart(request, limits, signal);
    upload = { file: await formFile(fields, field), fields };
  } else {
    const bytes = (await uploadBytes(request, limits, signal)) as Uint8Array<ArrayBuffer>;
    upload = { file: { bytes, mediaType: mediaTypeOf(contentType), filename: undefined }, fields: undefined };
  }
  if (upload.file.bytes.byteLength === 0) {
    throw new HttpError(400, `The uploaded file${upload.fields ? ` in field "${field}"` : ''} is empty`, {
      code: 'empty_file',
      param: upload.fields ? field : undefined,
    });
  }
  return upload;
}
