/** Generates the corpus's 10,000-line Dockerfile (too big to commit usefully); used by the corpus test and bench. */

/** A 10,000-line Dockerfile: stages, continuations, heredocs, chowns, package installs. */
export function generatedHugeDockerfile(lines = 10_000): string {
  const out: string[] = ['# syntax=docker/dockerfile:1', 'ARG BASE=debian:bookworm'];
  let i = 0;
  while (out.length < lines) {
    switch (i % 9) {
      case 0: out.push(`FROM \${BASE} AS s${i}`, `WORKDIR /app${i}`); break;
      case 1: out.push(`COPY src${i} /app${i}/src`, `RUN chown -R 1000:1000 /app${i}/src && chmod -R 755 /app${i}/src`); break;
      case 2: out.push(`RUN apt-get update \\`, `    && apt-get install -y pkg${i} \\`, `    # comment ${i}`, `    && echo ok`); break;
      case 3: out.push('RUN <<EOF', `echo heredoc ${i}`, `rm -rf /app${i}/src/tmp`, 'EOF'); break;
      case 4: out.push(`ENV V${i}="value ${i}" W${i}=\${V${i}:-x}`, `LABEL n${i}=v`); break;
      case 5: out.push(`ADD file${i}.txt /etc/`, `RUN pip install pkg${i}`); break;
      case 6: out.push(`COPY . .`, `RUN npm ci`); break;
      case 7: out.push(`RUN echo ${i}`, `RUN echo ${i + 1}`); break;
      default: out.push(`COPY --from=s${i - 8} /app${i - 8} /copied${i}`, `# stowage ignore=dockerfile/copy-then-chown`, `RUN chmod -R 700 /copied${i}`); break;
    }
    i++;
  }
  return `${out.slice(0, lines).join('\n')}\n`;
}
