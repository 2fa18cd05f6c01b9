// The rules of `pcapdx diagnose`, listed explicitly (no registration side effects): each is a
// pure function of the analysed trace, in its own file.

import type { AnalysedTrace } from '../../analysis/trace.js';
import type { Rule } from '../finding.js';
import { tcpKeepalive } from './tcp-keepalive.js';

export const RULES: readonly Rule<AnalysedTrace>[] = [tcpKeepalive];
