import { createSenderLanes, SenderBusyError } from './sender-lanes';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('sender lanes', () => {
  test("one sender's tasks run one at a time, in order; other senders do not wait for them", async () => {
    const lanes = createSenderLanes();
    const log: string[] = [];
    let running = 0;
    const slow = (name: string) => async () => {
      running += 1;
      expect(running).toBe(1);
      await tick();
      log.push(name);
      running -= 1;
    };
    const flooder = [1, 2, 3].map((i) => lanes.run('a', slow(`a${i}`)));
    const other = lanes.run('b', async () => log.push('b'));
    await other;
    expect(log).toEqual(['b']);
    await Promise.all(flooder);
    expect(log).toEqual(['b', 'a1', 'a2', 'a3']);
  });

  test('a failed task rejects its own caller only; the lane goes on', async () => {
    const lanes = createSenderLanes();
    const failed = lanes.run('a', async () => {
      throw new Error('boom');
    });
    const next = lanes.run('a', async () => 'ok');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });

  test('past maxWaiting a sender is refused with a 429 until its lane drains', async () => {
    const lanes = createSenderLanes({ maxWaiting: 2 });
    const held = [lanes.run('a', tick), lanes.run('a', tick)];
    const refused = lanes.run('a', tick);
    await expect(refused).rejects.toBeInstanceOf(SenderBusyError);
    await expect(refused).rejects.toMatchObject({ statusCode: 429 });
    await expect(lanes.run('b', tick)).resolves.toBeUndefined();
    await Promise.all(held);
    await expect(lanes.run('a', async () => 'again')).resolves.toBe('again');
  });
});
