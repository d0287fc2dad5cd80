import type { RequestHandler } from 'express';
import type { RecordedRequest } from './types';

// Remembers what reached the emulator so tests can assert on client behaviour (retries, token
// caching) over real HTTP. Bodies and query strings are never kept: they carry passwords,
// secrets and e-mail addresses.

export class Recorder {
  private records: RecordedRequest[] = [];
  private tokenRequests = 0;

  middleware(): RequestHandler {
    return (req, res, next) => {
      // The control API observes the emulator; it is not traffic under test.
      if (req.path.startsWith('/__emulator/')) return next();
      if (req.method === 'POST' && req.path === '/oauth/token') this.tokenRequests += 1;
      // Recorded on arrival (so hung requests show up, with status 0), completed on close.
      const record: RecordedRequest = {
        method: req.method,
        path: req.path,
        status: 0,
        at: new Date().toISOString(),
      };
      this.records.push(record);
      res.on('close', () => {
        if (res.writableFinished) record.status = res.statusCode;
      });
      next();
    };
  }

  requests(): RecordedRequest[] {
    return this.records.map((r) => ({ ...r }));
  }

  tokenRequestCount(): number {
    return this.tokenRequests;
  }

  reset(): void {
    this.records = [];
    this.tokenRequests = 0;
  }
}
