// Issue 15.1/15.4: the scheduled refresh brings a yank and a new tag from the origin without a
// read; A's key rotates (given by configuration), ds learns the new key and old statements still
// verify (the suite: support/federation-verify-suite.ts).
import { federationVerifySuite } from './support/federation-verify-suite.ts';

federationVerifySuite('federation: scheduled refresh and key rotation', ['install', 'refresh', 'rotation']);
