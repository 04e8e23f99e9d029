import { generateKeyPairSync, sign } from 'node:crypto';
import { hostKeyId, packageStatement, verifyStatement, type PublicHostKey } from '@entropic/types';
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const spki = publicKey.export({ type: 'spki', format: 'der' });
const keys: PublicHostKey[] = [{ keyid: hostKeyId(spki), keytype: 'ecdsa-sha2-nistp256', scheme: 'ecdsa-sha2-nistp256', key: spki.toString('base64'), notBefore: new Date(0).toISOString(), expires: null }];
const docs = Array.from({ length: 50 }, (_, i) => {
  const doc = { name: `app@a.example/p${i}`, owner: 'app@a.example', yanked: false, require_tfa: false, created: new Date().toISOString(), modified: new Date().toISOString(), versions: { '1.0.0': `sha512-${'A'.repeat(86)}==` }, tags: { latest: '1.0.0' } };
  return { ...doc, hostSignatures: [{ keyid: keys[0]!.keyid, sig: sign('sha256', Buffer.from(packageStatement(doc)), privateKey).toString('base64') }] };
});
for (const d of docs) verifyStatement(packageStatement(d), d.hostSignatures, keys, new Date(d.modified)); // warm
const before = process.cpuUsage();
for (let r = 0; r < 20; r++) for (const d of docs) if (!verifyStatement(packageStatement(d), d.hostSignatures, keys, new Date(d.modified))) throw new Error('no');
const used = process.cpuUsage(before);
console.log(`CPU per package-document check: ${((used.user + used.system) / 1000 / 1000).toFixed(3)} ms; per 50: ${((used.user + used.system) / 1000 / 20).toFixed(1)} ms`);
