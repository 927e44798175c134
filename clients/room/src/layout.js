// The circle's layout and the avatar choices, without three.js (the member
// list and the voice need them before the 3D view loads): how many seats
// the ring shows, where each seat is, and at what bearing one member hears
// another. Every client computes the same from the same seat numbers.

/** COLOURS are the avatar colours (server/groups/circle.go AvatarColours): none of them a skin tone. */
export const COLOURS = { teal: 0x2a9d8f, amber: 0xe9a23b, violet: 0x8e6cc8, sky: 0x5aa9e6, leaf: 0x6aa84f, coral: 0xe07a5f, sand: 0xd8c59a, slate: 0x6c7a89 };
export const SHAPES = ['pebble', 'bell', 'block', 'drop', 'column'];
export const ACCESSORIES = ['none', 'scarf', 'beanie', 'flower', 'headphones', 'glasses'];

/** ringSize is how many seats the circle shows: at least 8, growing by 4 as seats fill, the same on every client (it depends only on the seats taken). */
export function ringSize(members) {
  let top = 0;
  for (const m of members) if (typeof m.seat === 'number') top = Math.max(top, m.seat);
  return Math.max(8, Math.ceil((top + 1) / 4) * 4);
}

/** seatPlace is seat's position on a ring of n (x, z in metres; about 0.75 m of circle per seat) and its yaw facing the centre; seat 0 is on the centre's +z side (behind the origin's default view). */
export function seatPlace(seat, n) {
  const radius = Math.max(1.5, (n * 0.75) / (2 * Math.PI));
  const a = (seat / n) * Math.PI * 2;
  return { x: radius * Math.sin(a), z: radius * Math.cos(a), yaw: a, radius };
}

/** bearing is the angle (radians, positive to the listener's right) at which a speaker's seat lies for a listener facing the centre: what pans their voice. */
export function bearing(listenerSeat, speakerSeat, n) {
  const l = seatPlace(listenerSeat, n), s = seatPlace(speakerSeat, n);
  // listener frame: forward is towards the centre (−z local), right is +x local
  const fx = -Math.sin(l.yaw), fz = -Math.cos(l.yaw);
  const rx = Math.cos(l.yaw), rz = -Math.sin(l.yaw);
  const dx = s.x - l.x, dz = s.z - l.z;
  return Math.atan2(dx * rx + dz * rz, dx * fx + dz * fz);
}
