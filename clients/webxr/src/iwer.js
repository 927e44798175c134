// Optional WebXR emulation (IWER, Meta Quest 3 profile) for development and the
// browser tests: loaded only with ?iwer in the URL, as its own chunk.
// forceInstall is required because Chromium ships a native navigator.xr
// (shared/RECIPES.md).
import { XRDevice, metaQuest3 } from 'iwer';

export async function install() {
  const device = new XRDevice(metaQuest3);
  device.installRuntime({ forceInstall: true });
  device.stereoEnabled = true;
  globalThis.havenXRDevice = device;
  return device;
}
