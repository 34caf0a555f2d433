// Two @pairkit/hci hosts on one simulated air: a sensor advertises, a phone scans, connects and
// talks to it over an LE credit-based channel. No radio needed.
import { HciHost, HciStatus, fromPacketPort } from '@pairkit/hci';
import { SimAir, SimTransport } from '@pairkit/ble-sim';

const air = new SimAir();
const hostOn = async (): Promise<HciHost> => {
  const host = new HciHost(fromPacketPort(new SimTransport(air.createController())));
  await host.init();
  return host;
};
const [sensor, phone] = await Promise.all([hostOn(), hostOn()]);

// The sensor answers every message on SPSM 0x80 in capitals.
sensor.listen(0x80, async (channel) => {
  for await (const sdu of channel) await channel.write(Buffer.from(sdu.toString().toUpperCase()));
});
await sensor.startAdvertising({ data: { flags: 0x06, completeLocalName: 'pairkit-sensor' } });
const accepted = sensor.accept();

const seen = await phone.scanFor((r) => r.ad?.completeLocalName === 'pairkit-sensor', { timeoutMs: 5000 });
console.log(`phone found ${seen.ad?.completeLocalName} at ${seen.address}`);
const conn = await phone.connect(seen.address, { addressType: seen.addressType });
const incoming = await accepted;
console.log(`connected: phone is ${conn.role}, sensor is ${incoming.role}`);

const channel = await conn.openChannel(0x80);
await channel.write(Buffer.from('hello over the simulated air'));
console.log(`sensor replied: ${(await channel.read())?.toString()}`);

await channel.close(); // the sensor's loop ends
await conn.disconnect(HciStatus.Remote_User_Terminated_Connection);
await Promise.all([sensor.close(), phone.close()]);
air.close();
