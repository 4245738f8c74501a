import { describe, expect, it } from 'vitest';
import { type Clock, createPacer } from './pacer.ts';

/** A clock that moves only when someone sleeps (or the test says so). */
function fakeClock(): Clock & { sleeps: number[]; advance(ms: number): void } {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

describe('createPacer', () => {
  it('lets the first batch go at once, then spaces batches to the rate', async () => {
    const clock = fakeClock();
    const pacer = createPacer({ eventsPerWindow: 900, windowMs: 900_000, clock });
    for (let i = 0; i < 4; i += 1) await pacer.wait(100);
    // 900 per 900 s is one event a second: each batch of 100 waits 100 s.
    expect(clock.sleeps).toEqual([100_000, 100_000, 100_000]);
  });

  it('keeps the default 50,000 per 15 minutes: 500 events every 9 s', async () => {
    const clock = fakeClock();
    const pacer = createPacer({ eventsPerWindow: 50_000, clock });
    const start = clock.now();
    for (let i = 0; i < 101; i += 1) await pacer.wait(500);
    // The 101st batch leaves once 50,000 have had their 15 minutes.
    expect(clock.now() - start).toBe(15 * 60 * 1000);
  });

  it('waits only for what is left when sending took time', async () => {
    const clock = fakeClock();
    const pacer = createPacer({ eventsPerWindow: 900, windowMs: 900_000, clock });
    await pacer.wait(100);
    clock.advance(30_000);
    await pacer.wait(100);
    expect(clock.sleeps).toEqual([70_000]);
  });

  it('earns no burst from a pause', async () => {
    const clock = fakeClock();
    const pacer = createPacer({ eventsPerWindow: 900, windowMs: 900_000, clock });
    await pacer.wait(100);
    clock.advance(1_000_000);
    await pacer.wait(100);
    await pacer.wait(100);
    expect(clock.sleeps).toEqual([100_000]);
  });

  it('never waits at rate 0 (unpaced)', async () => {
    const clock = fakeClock();
    const pacer = createPacer({ eventsPerWindow: 0, clock });
    for (let i = 0; i < 10; i += 1) await pacer.wait(500);
    expect(clock.sleeps).toEqual([]);
  });
});
