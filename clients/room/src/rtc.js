// WHIP-style signalling (DESIGN.md §3): gather every ICE candidate, POST the
// offer, apply the answer. No trickle is needed on a LAN or loopback.
export async function connect(url, headers, onFrame) {
  const pc = new RTCPeerConnection();
  const channel = pc.createDataChannel('chat');
  // The server's bounded outbox sends binary messages: decode them as UTF-8.
  channel.binaryType = 'arraybuffer';
  const utf8 = new TextDecoder();
  channel.onmessage = (ev) => {
    let frame;
    try { frame = JSON.parse(typeof ev.data === 'string' ? ev.data : utf8.decode(ev.data)); } catch { return; } // a bad frame is ignored
    onFrame(frame);
  };
  const opened = new Promise((resolve, reject) => {
    channel.onopen = resolve;
    setTimeout(() => reject(new Error('timeout')), 15000);
  });
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
    setTimeout(resolve, 3000);
  });
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp', ...headers }, body: pc.localDescription.sdp });
  if (r.status !== 201) {
    pc.close();
    const data = await r.json().catch(() => ({}));
    throw new Error(data?.error?.message || `signalling refused (${r.status})`);
  }
  await pc.setRemoteDescription({ type: 'answer', sdp: await r.text() });
  await opened;
  return { pc, channel };
}
