/**
 * In-process CPU profiling of one measured section (node:inspector), so a profile shows the
 * measured work and not the set-up around it. The result is a normal .cpuprofile file that
 * Chrome DevTools opens and bench/profile.ts summarises.
 */
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import type { CpuProfile } from '../profile.js';

/** A running profile; stop() returns it and writes it to `file` when one is given. */
export interface RunningProfile {
  stop(): Promise<CpuProfile>;
}

/** Starts the V8 sampling profiler (interval in microseconds). */
export async function startProfile(file?: string, intervalUs = 500): Promise<RunningProfile> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      if (file !== undefined) writeFileSync(file, JSON.stringify(profile));
      return profile as unknown as CpuProfile;
    },
  };
}
