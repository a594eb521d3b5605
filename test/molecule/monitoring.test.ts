import { describe, expect, it } from 'vitest';
import { labStatus } from '../../engine/lab/index.ts';
import { loadScenario } from '../../engine/molecule/scenario.ts';
import { runStages } from '../../engine/molecule/stages.ts';
import { startAlertReceiver, type AlertReceiver, type Delivery } from '../monitoring/alert-receiver.ts';

// the port in molecule/monitoring/molecule.yml's monitoring_test_webhook
const RECEIVER_PORT = 19093;

/**
 * The monitoring role on 3 etcd members (h1 with the apiserver stand-in), 1 monitoring host,
 * and the haproxy-keepalived role on h4 and h2. The alerts of the faults
 * in side_effect.yml are asserted here, from what Alertmanager delivered to a webhook receiver
 * listening on the lab bridge's gateway address (the lab hosts' way to the controller).
 */
describe('molecule monitoring', () => {
  it('converges, stays idempotent, and every fault reaches the webhook receiver', async () => {
    const s = await loadScenario('monitoring');
    const log: string[] = [];
    const io = { log: (l: string) => log.push(l) };
    let receiver: AlertReceiver | undefined;
    try {
      await runStages(s, ['create'], io);
      const gateway = (await labStatus(s.lab)).subnet.replace(/\.0\/24$/, '.1');
      receiver = await startAlertReceiver(gateway, RECEIVER_PORT);
      await runStages(s, ['prepare', 'converge', 'idempotence', 'side_effect', 'verify'], io);
    } catch (e) {
      console.log(log.join('\n'));
      throw e;
    } finally {
      await runStages(s, ['destroy'], io).catch(() => {});
      await receiver?.close();
    }
    expect(log.join('\n')).toContain('second converge: changed=0');

    const first = (alertname: string, status: Delivery['status'], labels: Record<string, string> = {}): Delivery | undefined =>
      receiver!.deliveries.find((d) => d.labels.alertname === alertname && d.status === status && Object.entries(labels).every(([k, v]) => d.labels[k] === v));
    const killed = receiver!.marks.get('kill-h3');
    const down = first('EtcdMembersDown', 'firing');
    const resolved = first('EtcdMembersDown', 'resolved');
    expect(killed).toBeDefined();
    expect(down).toBeDefined();
    expect(resolved).toBeDefined();
    expect(down!.at).toBeGreaterThan(killed!);
    expect(resolved!.at).toBeGreaterThan(down!.at);
    const seconds = (down!.at - killed!) / 1000;
    // Prometheus sends startsAt = when the alert fired (after `for:`)
    const fired = (down!.startsAt - killed!) / 1000;
    console.log(
      `monitoring: etcd member killed → EtcdMembersDown delivered in ${seconds.toFixed(1)} s ` +
        `(fired in Prometheus after ${fired.toFixed(1)} s); resolved ${((resolved!.at - down!.at) / 1000).toFixed(1)} s later`,
    );
    expect(seconds).toBeLessThan(60);
    const alerts = [...new Set(receiver!.deliveries.filter((d) => d.status === 'firing').map((d) => `${d.labels.alertname}{${d.labels.instance ?? d.labels.vip ?? d.labels.job}}`))];
    console.log(`monitoring: delivered ${alerts.join(', ')}`);

    expect(first('CertificateExpiry', 'firing', { severity: 'critical', instance: 'h1', component: 'etcd' })).toBeDefined();
    // the critical alert inhibits its own warning
    expect(first('CertificateExpiry', 'firing', { severity: 'warning', instance: 'h1' })).toBeUndefined();
    expect(first('HAProxyDown', 'firing', { instance: 'h4', severity: 'critical' })).toBeDefined();
    expect(first('APIServerDown', 'firing', { instance: 'h1', job: 'kubernetes-apiserver' })).toBeDefined();
    expect(first('VIPHeldByNoLB', 'firing', { severity: 'critical' })).toBeDefined();
    expect(first('VIPHeldByTwoLBs', 'firing', { severity: 'critical' })).toBeDefined();
    // nothing about h2 but its haproxy's view of the stopped apiserver (its only backend)
    expect(receiver!.deliveries.filter((d) => d.labels.instance === 'h2' && !d.labels.alertname!.startsWith('HAProxy'))).toEqual([]);
  }, 900_000);
});
