// The capture file opened again for reading call bodies back at their places (places.ts): the
// shared positioned reader (capture/reread.ts). A file that cannot be opened means no places: the
// consumer copies, as for standard input.

import { CaptureRereader } from '../capture/reread.js';
import type { PlaceReader } from './places.js';

export class CaptureBytes extends CaptureRereader implements PlaceReader {
  constructor(path: string) {
    super(path);
  }
}
