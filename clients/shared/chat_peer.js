// The `chat` data-channel peer every support-room client shares: the member
// page (clients/room) and the moderator's console view. WHIP-style
// signalling (DESIGN.md §3): gather every ICE candidate, POST the offer,
// apply the answer. No trickle is needed on a LAN or loopback. Frames use the
// shared envelope {"v":1,"type","seq","t","body"}; the server sends them as
// binary UTF-8 JSON, so both string and binary messages are decoded. Frames
// that queued up for a member while the room was busy arrive together in one
// message, one per line (docs/groups.md).
//
// connect(url, headers, onFrame, {onClose, credentials, prepare}) → {pc, channel, send(type, body), close()}.
// prepare(pc), when given, runs before the offer is made (a support circle
// adds its voice transceivers there) and its result is returned as extra.
// headers carry the member's Bearer token or the moderator's CSRF token
// (the session cookie goes along with same-origin credentials).
export async function connect(url, headers, onFrame, { onClose = () => {}, credentials = 'same-origin', prepare = null } = {}) {
  const pc = new RTCPeerConnection();
  const extra = prepare ? prepare(pc) : null;
  const channel = pc.createDataChannel('chat');
  channel.binaryType = 'arraybuffer';
  const utf8 = new TextDecoder();
  channel.onmessage = (ev) => {
    const text = typeof ev.data === 'string' ? ev.data : utf8.decode(ev.data);
    for (const line of text.split('\n')) {
      let frame;
      try { frame = JSON.parse(line); } catch { continue; } // a bad frame is ignored
      onFrame(frame);
    }
  };
  let closed = false;
  const done = () => { if (!closed) { closed = true; onClose(); } };
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
  const r = await fetch(url, { method: 'POST', credentials, headers: { 'Content-Type': 'application/sdp', ...headers }, body: pc.localDescription.sdp });
  if (r.status !== 201) {
    pc.close();
    const data = await r.json().catch(() => ({}));
    throw Object.assign(new Error(data?.error?.message || `signalling refused (${r.status})`), { code: data?.error?.code, status: r.status });
  }
  await pc.setRemoteDescription({ type: 'answer', sdp: await r.text() });
  await opened;
  channel.onclose = done;
  pc.addEventListener('connectionstatechange', () => { if (['failed', 'closed'].includes(pc.connectionState)) done(); });
  let seq = 0;
  return {
    pc,
    channel,
    extra,
    /** send puts one envelope on the channel; false when the channel is not open. */
    send(type, body = {}) {
      if (channel.readyState !== 'open') return false;
      channel.send(JSON.stringify({ v: 1, type, seq: ++seq, t: Date.now(), body }));
      return true;
    },
    close() { closed = true; try { pc.close(); } catch { /* already closed */ } },
  };
}
