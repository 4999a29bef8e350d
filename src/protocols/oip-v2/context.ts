import type { ModelMetadata } from './schemas.ts';

/** What an OIP task mapping knows besides the payload. */
export interface InferContext {
  /** The model's name on the wire (errors name it). */
  modelName: string;
  /** The model's metadata (client: read once from `GET /v2/models/{m}`): names and types the inputs. */
  metadata?: ModelMetadata;
  /** Classification: class names by index, for servers whose outputs carry indices (`predict`) or bare probabilities. */
  labels?: readonly string[];
}
