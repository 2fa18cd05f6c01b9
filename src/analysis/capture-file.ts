// The capture file opened again for reading first transmissions back (segment-index.ts): the shared
// positioned reader (capture/reread.ts), asked readable() by the retention.

import { CaptureRereader } from '../capture/reread.js';
import type { ByteSource } from './segment-index.js';

export class CaptureFile extends CaptureRereader implements ByteSource {
  /** True when the file is open for reading back (opens it on the first call). */
  readable(): boolean {
    return this.open();
  }
}
