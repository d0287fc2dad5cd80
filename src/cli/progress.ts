/**
 * Progress for long runs: a bar redrawn in place on a terminal, otherwise a plain line every
 * 10% (or 5 seconds), which reads well in CI and deploy logs.
 */
export function progressReporter(label: string, stream: NodeJS.WriteStream = process.stderr) {
  let lastLine = 0;
  let lastPercent = -1;
  return (done: number, total: number) => {
    if (total === 0) return;
    const percent = Math.floor((done / total) * 100);
    if (stream.isTTY) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      stream.write(
        `\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`,
      );
      if (done === total) stream.write('\n');
      return;
    }
    const now = Date.now();
    if (done === total || percent >= lastPercent + 10 || now - lastLine >= 5000) {
      stream.write(`${label}: ${done}/${total} (${percent}%)\n`);
      lastLine = now;
      lastPercent = percent;
    }
  };
}
