import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { paxGlobalHeader, tarBuffer } from '../../src/image/tar-writer.js';

test('a PAX global header before an archive: Python tarfile reads its records, and it and GNU tar list the members after it', () => {
  const lead = paxGlobalHeader({ comment: 'stowage: the image follows' });
  assert.equal(lead.length % 512, 0);
  const archive = Buffer.concat([lead, tarBuffer([{ header: { name: 'manifest.json', typeflag: '0', mode: 0o644, uid: 0, gid: 0, size: 2, mtime: 0 }, content: Buffer.from('[]') }])]);
  const python = JSON.parse(execFileSync('python3', ['-c', [
    'import tarfile, io, sys, json',
    't = tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()))',
    'print(json.dumps({"pax": t.pax_headers, "names": t.getnames(), "manifest": t.extractfile("manifest.json").read().decode()}))',
  ].join('\n')], { input: archive }).toString()) as { pax: Record<string, string>; names: string[]; manifest: string };
  assert.deepEqual(python, { pax: { comment: 'stowage: the image follows' }, names: ['manifest.json'], manifest: '[]' });
  assert.deepEqual(execFileSync('tar', ['-tf', '-'], { input: archive }).toString().split('\n').filter(Boolean), ['manifest.json']);
});
