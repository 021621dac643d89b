/**
 * An image built with BuildKit is flattened and verified: Docker 20.10 records the size of a layer BuildKit
 * committed from the tar's headers (regular files only), where a loaded or classic-built layer is sized from
 * its directory (symlink targets counted). The input-layer-sizes check compared with the second figure only
 * and failed every such image with a symlink in a layer (exit 7, "the input was misread").
 * The oracle is the engine's own record (`docker history`) and its own export of the result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { BUSYBOX_IMAGE, docker, ensureBusybox } from '../support/docker-cli.js';
import { PrivateDaemon } from '../support/private-daemon.js';

test('a BuildKit-built layer with symlinks is flattened and verified, whichever size the engine recorded', { timeout: 600_000 }, async (t) => {
  await ensureBusybox();
  const daemon = new PrivateDaemon();
  const ctx = mkdtempSync(join(tmpdir(), 'stowage-bk-ctx-'));
  try {
    await daemon.start();
    await ensureBusybox(daemon.env);
    // 6 bytes of file, 11 + 1 bytes of symlink targets
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nRUN mkdir /d && echo hello > /d/f && ln -s /etc/passwd /lnk && ln -s f /d/l\n`);
    await docker(['build', '-q', '--network', 'none', '-t', 'bk-sizes:1', ctx], { env: { ...daemon.env, DOCKER_BUILDKIT: '1' } });
    const sizes = (await docker(['history', '--no-trunc', '--human=false', '--format', '{{.Size}}', 'bk-sizes:1'], { env: daemon.env })).stdout.trim().split('\n').map(Number);
    // the engine's figure for the RUN layer: files only (BuildKit's commit on 20.10) or files and symlinks
    assert.ok([6, 18].includes(sizes[0]!), `RUN layer recorded as ${sizes[0]}`);
    t.diagnostic(`the engine recorded the RUN layer as ${sizes[0]} bytes (${sizes[0] === 6 ? 'files only: the shape that failed before' : 'files and symlinks'})`);
    let stdout = '';
    let stderr = '';
    const code = await main(['--json', '--host', daemon.host, 'flatten', '-q', '-t', 'bk-sizes:flat', 'bk-sizes:1'],
      { stdout: { write: (s: string) => { stdout += s; } }, stderr: { write: (s: string) => { stderr += s; } }, env: process.env });
    assert.equal(code, 0, `${stderr} (RUN layer recorded as ${sizes[0]})`);
    const result = (JSON.parse(stdout) as { result: { verification: { verified: boolean; checks: { id: string }[] } } }).result;
    assert.equal(result.verification.verified, true);
    assert.ok(result.verification.checks.some((c) => c.id === 'input-layer-sizes'));
    // Docker's own export of a container of the result has the files and links
    const run = await docker(['run', '--rm', '--network', 'none', 'bk-sizes:flat', 'sh', '-c', 'cat /d/f /d/l; ls -l /lnk | sed "s/.* -> //"'], { env: daemon.env });
    assert.equal(run.stdout, 'hello\nhello\n/etc/passwd\n');
  } finally {
    rmSync(ctx, { recursive: true, force: true });
    await daemon.destroy();
  }
});
