// Issue 15.5: `ds` checks host signatures and the hash chain itself, through A and with --origin;
// each tampering case is refused with nothing stored (the suite: support/federation-verify-suite.ts).
import { federationVerifySuite } from './support/federation-verify-suite.ts';

federationVerifySuite('ds verifies host signatures and the hash chain itself', ['install', 'unmirrored', 'tamper', 'replaced', 'origin']);
