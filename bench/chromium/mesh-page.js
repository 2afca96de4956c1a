// mesh-page.js: a full WebRTC mesh of N participants inside one Chromium page
//
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Loaded by bench/chromium/mesh.mjs into the page it opens. Each participant
// has its own getUserMedia stream (the fake camera and microphone Chromium
// was started with) and one RTCPeerConnection to every other participant:
// N·(N−1)/2 pairs, each two RTCPeerConnections that exchange SDP and ICE
// candidates here in the page. Every received video plays in a muted <video>
// (so Chromium decodes and renders it, as a call's grid does) and every
// received audio in an <audio>. mesh.mjs drives it through window.mesh.

'use strict';

window.mesh = (() => {
  const participants = [];  // { index, stream }
  const pairs = [];         // { a, b, pcA, pcB }
  const receivers = [];     // { receiver, sender, pc, video, audio, presented }
  const errors = [];

  function note(what, error) {
    errors.push(what + ': ' + (error && error.message ? error.message : String(error)));
  }

  // VP8 first, with its retransmissions; every other video codec left out,
  // so that VP8 is what both ends send whatever Chromium would prefer.
  function preferVp8(pc) {
    const codecs = RTCRtpReceiver.getCapabilities('video').codecs;
    const vp8 = codecs.filter(c => c.mimeType.toLowerCase() === 'video/vp8');
    const rtx = codecs.filter(c => c.mimeType.toLowerCase() === 'video/rtx');
    for (const t of pc.getTransceivers()) {
      if (t.receiver.track && t.receiver.track.kind === 'video') {
        t.setCodecPreferences([...vp8, ...rtx]);
      }
    }
  }

  async function capBitrate(pc, maxBitrate) {
    if (!maxBitrate) {
      return;
    }
    for (const t of pc.getTransceivers()) {
      // the sender has no track yet: the receiver's says the kind
      if (t.receiver.track.kind !== 'video') {
        continue;
      }
      const sender = t.sender;
      const params = sender.getParameters();
      if (!params.encodings || params.encodings.length === 0) {
        params.encodings = [{}];
      }
      params.encodings[0].maxBitrate = maxBitrate;
      await sender.setParameters(params);
    }
  }

  function grid() {
    return document.getElementById('grid');
  }

  // Tiles sized so that all N·(N−1) received videos fit in the viewport.
  function layout() {
    const count = Math.max(1, receivers.length);
    const cols = Math.ceil(Math.sqrt(count * 16 / 9 * window.innerHeight / window.innerWidth));
    grid().style.gridTemplateColumns = `repeat(${cols}, 1fr)`;
  }

  function attach(receiverIndex, senderIndex, pc, event) {
    let entry = receivers.find(r => r.pc === pc);
    if (!entry) {
      entry = { receiver: receiverIndex, sender: senderIndex, pc, video: null, audio: null, presented: 0 };
      receivers.push(entry);
    }
    const track = event.track;
    if (track.kind === 'video') {
      const video = document.createElement('video');
      video.muted = true;
      video.autoplay = true;
      video.playsInline = true;
      video.title = `p${receiverIndex} ← p${senderIndex}`;
      video.srcObject = new MediaStream([track]);
      // frames actually presented, counted by the compositor's callbacks
      const count = (now, metadata) => {
        entry.presented = metadata.presentedFrames;
        video.requestVideoFrameCallback(count);
      };
      video.requestVideoFrameCallback(count);
      grid().appendChild(video);
      entry.video = video;
      video.play().catch(e => note('video play', e));
      layout();
    } else {
      const audio = document.createElement('audio');
      audio.autoplay = true;
      audio.srcObject = new MediaStream([track]);
      document.body.appendChild(audio);
      entry.audio = audio;
      audio.play().catch(e => note('audio play', e));
    }
  }

  // Asks the other end to send Opus with DTX (RFC 7587 usedtx), as Lattice
  // does: silence then costs both sides next to nothing, as it does Lattice.
  function withDtx(description) {
    const match = /a=rtpmap:(\d+) opus\/48000/i.exec(description.sdp);
    if (!match) return description;
    const fmtp = new RegExp('(a=fmtp:' + match[1] + ' [^\\r\\n]*)');
    const sdp = fmtp.test(description.sdp) && !/usedtx=1/.test(description.sdp)
      ? description.sdp.replace(fmtp, '$1;usedtx=1') : description.sdp;
    return { type: description.type, sdp };
  }

  async function connect(a, b, options) {
    const pcA = new RTCPeerConnection();
    const pcB = new RTCPeerConnection();
    pcA.onicecandidate = e => { if (e.candidate) pcB.addIceCandidate(e.candidate).catch(x => note('ice', x)); };
    pcB.onicecandidate = e => { if (e.candidate) pcA.addIceCandidate(e.candidate).catch(x => note('ice', x)); };
    pcA.ontrack = e => attach(a.index, b.index, pcA, e);
    pcB.ontrack = e => attach(b.index, a.index, pcB, e);
    for (const track of a.stream.getTracks()) {
      pcA.addTrack(track, a.stream);
    }
    preferVp8(pcA);
    await pcA.setLocalDescription(await pcA.createOffer());
    await pcB.setRemoteDescription(options.dtx ? withDtx(pcA.localDescription) : pcA.localDescription);
    // addTrack takes the transceivers the offer made: both send and receive
    for (const track of b.stream.getTracks()) {
      pcB.addTrack(track, b.stream);
    }
    preferVp8(pcB);
    // nothing is sent until every pair is negotiated (see start())
    for (const sender of [...pcA.getSenders(), ...pcB.getSenders()]) {
      await sender.replaceTrack(null);
    }
    await pcB.setLocalDescription(await pcB.createAnswer());
    await pcA.setRemoteDescription(options.dtx ? withDtx(pcB.localDescription) : pcB.localDescription);
    await capBitrate(pcA, options.maxBitrate);
    await capBitrate(pcB, options.maxBitrate);
    pairs.push({ a: a.index, b: b.index, pcA, pcB, tracks: new Map([[pcA, a.stream], [pcB, b.stream]]) });
  }

  // Opens every participant's camera and microphone, then connects every pair.
  async function start(options) {
    for (let i = 0; i < options.n; i++) {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: {
          width: { exact: options.width },
          height: { exact: options.height },
          frameRate: { exact: options.fps },
        },
        // like lattice-peer's test audio: no echo canceller, noise
        // suppressor or gain control in the way
        audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
      });
      participants.push({ index: i, stream });
    }
    // Negotiating pair after pair while the pairs before it already send
    // and receive video took minutes at N = 9 on two cores (the renderer
    // starved its own signaling), so every pair is negotiated first, with
    // no track on its senders, and then all start sending at once.
    for (let i = 0; i < options.n; i++) {
      for (let j = i + 1; j < options.n; j++) {
        await connect(participants[i], participants[j], options);
      }
    }
    for (const p of pairs) {
      for (const [pc, stream] of p.tracks) {
        for (const t of pc.getTransceivers()) {
          await t.sender.replaceTrack(stream.getTracks().find(track => track.kind === t.receiver.track.kind));
        }
      }
    }
    return { participants: participants.length, pairs: pairs.length };
  }

  // One entry per directed stream (receiver ← sender), from getStats of the
  // receiving RTCPeerConnection.
  async function stats() {
    const out = [];
    await Promise.all(receivers.map(async r => {
      const report = await r.pc.getStats();
      const entry = {
        receiver: r.receiver, sender: r.sender, presented: r.presented,
        state: r.pc.connectionState, video: null, audio: null, send: null, pair: null,
      };
      let selectedPair = null;
      for (const s of report.values()) {
        if (s.type === 'inbound-rtp' && s.kind === 'video') {
          entry.video = {
            t: s.timestamp, framesDecoded: s.framesDecoded || 0, framesReceived: s.framesReceived || 0,
            framesDropped: s.framesDropped || 0, keyFramesDecoded: s.keyFramesDecoded || 0,
            // whole RTP packets, headers too, as lattice-peer counts them
            bytes: (s.bytesReceived || 0) + (s.headerBytesReceived || 0),
            width: s.frameWidth || 0, height: s.frameHeight || 0,
            packetsLost: s.packetsLost || 0, nackCount: s.nackCount || 0,
            decoder: s.decoderImplementation || null, codecId: s.codecId || null,
            totalDecodeTime: s.totalDecodeTime || 0,
          };
        } else if (s.type === 'inbound-rtp' && s.kind === 'audio') {
          entry.audio = {
            t: s.timestamp, samples: s.totalSamplesReceived || 0, concealed: s.concealedSamples || 0,
            bytes: (s.bytesReceived || 0) + (s.headerBytesReceived || 0), codecId: s.codecId || null,
          };
        } else if (s.type === 'outbound-rtp' && s.kind === 'video') {
          // what this end sends the same participant
          entry.send = {
            t: s.timestamp, framesEncoded: s.framesEncoded || 0, bytes: s.bytesSent || 0,
            width: s.frameWidth || 0, height: s.frameHeight || 0, targetBitrate: s.targetBitrate || null,
            encoder: s.encoderImplementation || null,
            qualityLimitationReason: s.qualityLimitationReason || null,
            totalEncodeTime: s.totalEncodeTime || 0,
          };
        } else if (s.type === 'transport' && s.selectedCandidatePairId) {
          selectedPair = s.selectedCandidatePairId;
        }
      }
      for (const kind of ['video', 'audio']) {
        const codec = entry[kind] && entry[kind].codecId && report.get(entry[kind].codecId);
        if (codec) {
          entry[kind].codec = codec.mimeType;
        }
      }
      const pair = selectedPair && report.get(selectedPair);
      if (pair) {
        const local = report.get(pair.localCandidateId);
        const remote = report.get(pair.remoteCandidateId);
        entry.pair = {
          local: local ? `${local.address}:${local.port} ${local.candidateType}` : null,
          remote: remote ? `${remote.address}:${remote.port} ${remote.candidateType}` : null,
          rtt: pair.currentRoundTripTime,
        };
      }
      out.push(entry);
    }));
    out.sort((x, y) => x.receiver - y.receiver || x.sender - y.sender);
    return out;
  }

  // How many directed streams have decoded video and audio so far.
  async function flowing() {
    const s = await stats();
    return {
      streams: s.length,
      video: s.filter(e => e.video && e.video.framesDecoded > 0).length,
      audio: s.filter(e => e.audio && e.audio.samples > 0).length,
    };
  }

  function stop() {
    for (const p of pairs) {
      p.pcA.close();
      p.pcB.close();
    }
    for (const p of participants) {
      p.stream.getTracks().forEach(t => t.stop());
    }
  }

  return { start, stats, flowing, stop, errors };
})();
