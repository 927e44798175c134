// Registry of scene builders, one per template id in params.js.
import heights from './heights.js';
import spiders from './spiders.js';
import flying from './flying.js';
import publicSpeaking from './public_speaking.js';
import enclosedSpace from './enclosed_space.js';
import crowds from './crowds.js';
import { beach, forest, nightSky, neutralRoom } from './calm.js';

export const BUILDERS = {
  heights, spiders, flying, public_speaking: publicSpeaking, enclosed_space: enclosedSpace, crowds,
  beach, forest, night_sky: nightSky, neutral_room: neutralRoom,
};
