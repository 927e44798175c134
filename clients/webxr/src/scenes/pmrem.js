// The prefilter that turns a scene's sky (or room) into image-based light,
// at a cost a software renderer can pay while a scene loads.
//
// three's PMREMGenerator filters each mip level of the environment cube with
// 256 GGX samples a texel (and the three roughest levels by weighting all
// 3×16×16 texels of a 16 px source face): about 37 million texture reads
// for a 256 px cube. On a GPU that is a millisecond; under software WebGL
// (SwiftShader) it was 2–7 s during which the page was blocked, most of every
// outdoor scene's first load. A sky is smooth — no sun disc in the light
// (env.js), soft clouds — so far fewer samples, each read from a blurrier mip
// of the source (filtered importance sampling: the mip is chosen so the
// samples together still cover the lobe), give the same light: 32 samples for
// the sharp levels and an 8 px source face for the two roughest, about 4.5
// million reads. The layout of the result (levels, roughness per level) is
// three's, so every material samples it unchanged.
import * as THREE from 'three';

// three's is 256; the level bias (applyLight) matches each sample's source
// texel to 1/(N·pdf), so with fewer samples each reads a blurrier mip
const GGX_SAMPLES = 32;
const INTEGRATION_LEVELS = 2; // the roughest levels, integrated over a small source face
const INTEGRATION_SIZE = 8; // texels a side of that face (three's is 16)

/** prefilter returns a PMREMGenerator for renderer whose GGX filtering reads ~8× fewer texels than three's (see above). */
export function prefilter(renderer) {
  const pmrem = new THREE.PMREMGenerator(renderer);
  const ggx = material('PMREMGGXLight', { envMap: { value: null }, roughness: { value: 0 }, lodBias: { value: 0 } }, GGX_FS);
  const integration = material('PMREMIntegrationLight', { envMap: { value: null }, roughness: { value: 0 }, sourceLod: { value: 0 }, sourceSize: { value: INTEGRATION_SIZE } }, INTEGRATION_FS);
  // three raises every cube to 256 px faces; a blurred environment (the
  // room, sigma > 0) holds nothing finer than its blur and is prefiltered at
  // the size the caller asks for (renderer.js: 128 px), a quarter of the work
  pmrem._setSize = function setSize(size) { this._cubeSize = Math.max(64, THREE.MathUtils.floorPowerOfTwo(size)); };
  // three's own materials are never made (it makes them only when these are null)
  pmrem._ggxMaterial = ggx;
  pmrem._integrationMaterial = integration;
  // the same walk over the levels as three's _applyPMREM, with the sample
  // counts above (three r187; the layout and lodToRoughness are its own)
  pmrem._applyPMREM = function applyLight(target) {
    const size = this._cubeSize;
    const maxLod = target.texture.mipmaps.length - 1;
    const source = this._sourceTarget.texture;
    ggx.uniforms.envMap.value = source;
    integration.uniforms.envMap.value = source;
    integration.uniforms.sourceLod.value = Math.log2(size / INTEGRATION_SIZE);
    for (let lod = 0; lod <= maxLod; lod++) {
      const roughness = THREE.PMREMGenerator.lodToRoughness(lod, maxLod);
      if (lod > maxLod - INTEGRATION_LEVELS) {
        integration.uniforms.roughness.value = roughness;
        this._renderCube(target, lod, integration);
      } else {
        ggx.uniforms.roughness.value = roughness;
        ggx.uniforms.lodBias.value = roughness > 0 ? Math.log2(size) + 0.5 * Math.log2(6 / (GGX_SAMPLES * roughness ** 4)) + 0.5 : 0;
        this._renderCube(target, lod, ggx);
      }
    }
  };
  return pmrem;
}

function material(name, uniforms, fragmentShader) {
  return new THREE.ShaderMaterial({
    name, uniforms, fragmentShader, vertexShader: THREE.ShaderChunk.cube_vert,
    side: THREE.BackSide, blending: THREE.NoBlending, depthTest: false, depthWrite: false,
  });
}

// three r187's PMREMGGXConvolution with GGX_SAMPLES samples (the level bias
// comes from applyLight, computed for that count)
const GGX_FS = /* glsl */`
  #define GGX_SAMPLES ${GGX_SAMPLES}u
  varying vec3 vWorldDirection;
  uniform samplerCube envMap;
  uniform float roughness;
  uniform float lodBias;
  #include <common>
  float radicalInverse_VdC( uint bits ) {
    bits = ( bits << 16u ) | ( bits >> 16u );
    bits = ( ( bits & 0x55555555u ) << 1u ) | ( ( bits & 0xAAAAAAAAu ) >> 1u );
    bits = ( ( bits & 0x33333333u ) << 2u ) | ( ( bits & 0xCCCCCCCCu ) >> 2u );
    bits = ( ( bits & 0x0F0F0F0Fu ) << 4u ) | ( ( bits & 0xF0F0F0F0u ) >> 4u );
    bits = ( ( bits & 0x00FF00FFu ) << 8u ) | ( ( bits & 0xFF00FF00u ) >> 8u );
    return float( bits ) * 2.3283064365386963e-10;
  }
  void main() {
    vec3 N = normalize( vWorldDirection );
    if ( roughness < 0.001 ) { gl_FragColor = vec4( textureLod( envMap, N, 0.0 ).rgb, 1.0 ); return; }
    float alpha = roughness * roughness;
    float alpha2 = alpha * alpha;
    vec3 up = abs( N.z ) < 0.999 ? vec3( 0.0, 0.0, 1.0 ) : vec3( 1.0, 0.0, 0.0 );
    vec3 tangent = normalize( cross( up, N ) );
    vec3 bitangent = cross( N, tangent );
    vec3 sum = vec3( 0.0 );
    float total = 0.0;
    for ( uint i = 0u; i < GGX_SAMPLES; i ++ ) {
      vec2 Xi = vec2( float( i ) / float( GGX_SAMPLES ), radicalInverse_VdC( i ) );
      float invQ = 1.0 / ( 1.0 - Xi.x + alpha2 * Xi.x );
      float NdotL = ( 1.0 - Xi.x - alpha2 * Xi.x ) * invQ;
      if ( NdotL > 0.0 ) {
        float phi = 2.0 * PI * Xi.y;
        float sinTheta = 2.0 * alpha * sqrt( Xi.x * ( 1.0 - Xi.x ) ) * invQ;
        vec3 L = N * NdotL + ( tangent * cos( phi ) + bitangent * sin( phi ) ) * sinTheta;
        float lod = max( log2( alpha2 * invQ ) + lodBias, 0.0 );
        sum += textureLod( envMap, L, lod ).rgb * NdotL;
        total += NdotL;
      }
    }
    gl_FragColor = vec4( sum / total, 1.0 );
  }
`;

// three r187's PMREMGGXIntegration: every texel of a sourceSize face (the
// source's mip sourceLod), weighted by the GGX lobe
const INTEGRATION_FS = /* glsl */`
  varying vec3 vWorldDirection;
  uniform samplerCube envMap;
  uniform float roughness;
  uniform float sourceLod;
  uniform int sourceSize;
  void main() {
    vec3 N = normalize( vWorldDirection );
    float alpha = roughness * roughness;
    float alpha2 = alpha * alpha;
    float texelSize = 2.0 / float( sourceSize );
    vec3 sum = vec3( 0.0 );
    float total = 0.0;
    for ( int face = 0; face < 3; face ++ ) {
      for ( int y = 0; y < sourceSize; y ++ ) {
        for ( int x = 0; x < sourceSize; x ++ ) {
          vec2 uv = ( vec2( x, y ) + 0.5 ) * texelSize - 1.0;
          vec3 dir = face == 0 ? vec3( 1.0, uv ) : ( face == 1 ? vec3( uv.x, 1.0, uv.y ) : vec3( uv, 1.0 ) );
          float invDistance = inversesqrt( 1.0 + dot( uv, uv ) );
          float NdotL = dot( N, dir );
          dir *= NdotL < 0.0 ? - 1.0 : 1.0;
          NdotL = abs( NdotL ) * invDistance;
          float d = 1.0 + alpha2 + ( alpha2 - 1.0 ) * NdotL;
          float weight = NdotL * invDistance * invDistance * invDistance / ( d * d );
          sum += textureLod( envMap, dir, sourceLod ).rgb * weight;
          total += weight;
        }
      }
    }
    gl_FragColor = vec4( sum / total, 1.0 );
  }
`;
