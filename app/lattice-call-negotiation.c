/* lattice-call-negotiation.c: offers, answers and candidates, and what is taken of them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Another participant controls what it sends us through the server. An
 * offer is checked before anything is torn down or built for it (its
 * size, media sections and bundling: lattice-offer-check.c) and counted
 * against its sender's rate; what is refused is answered with a "reject"
 * (docs/PROTOCOL.md) and the connection with that participant stays as
 * it was. Failed connections are rebuilt, less often each time they fail
 * again.
 */
#define G_LOG_DOMAIN "LatticeCall"

#include "config.h"

#include <sys/resource.h>
#include <glib/gi18n-lib.h>

#include "lattice-call-private.h"

/* A failed connection is offered again after REBUILD_BASE_MS (plus up to
 * as much again at random, so two sides do not collide), doubling with
 * each failure in a row up to REBUILD_MAX_MS; one whose certificate did
 * not match its description (someone may be tampering with it) up to
 * REBUILD_MISMATCH_MAX_MS. */
#define REBUILD_BASE_MS          1000
#define REBUILD_MAX_MS           (30 * 1000)
#define REBUILD_MISMATCH_MAX_MS  (5 * 60 * 1000)
/* A connection that stayed up this long was a success: the failures in a
 * row start again from none. (ICE and DTLS report "connected" before the
 * certificate is checked against the description, so "connected" alone
 * is not one.) */
#define REBUILD_STABLE_US        (10 * G_USEC_PER_SEC)

/* File descriptors one peer connection may hold: its ICE agent's sockets
 * (one per local address) and the wake-up pipes of its streaming threads.
 * Measured with lattice-peer, GStreamer 1.22, one network interface: 12
 * file descriptors and 14 threads per connection (/proc/PID/fd and task,
 * alone in a room and then with one and two others); more interfaces add
 * sockets, hence the margin. A new connection needs twice this free below
 * RLIMIT_NOFILE, so that the process never gets near it: GLib aborts when
 * it cannot make a pipe. */
#define FDS_PER_CONNECTION 40

/* Offers from one participant are taken at most this often: one that
 * comes sooner waits for the end of the gap, and a newer one replaces it
 * meanwhile (a connection is never replaced while it is being built). */
#define OFFER_GAP_US (1 * G_USEC_PER_SEC)

typedef struct {
  LatticeOfferRate rate;
  gint64           last_taken_us;  /* when an offer of it was last applied */
  char            *pending_sdp;    /* the newest offer waiting for the gap */
  GSource         *pending_source;
  guint            failures;   /* failed connections in a row */
  gint64           connected_us; /* when the current connection connected, or 0 */
  gboolean         mismatch;   /* the last failure was a certificate mismatch */
} Negotiation;

static void
negotiation_free (gpointer data)
{
  Negotiation *n = data;

  if (n->pending_source != NULL)
    {
      g_source_destroy (n->pending_source);
      g_source_unref (n->pending_source);
    }
  g_free (n->pending_sdp);
  g_free (n);
}

static Negotiation *
negotiation_for (LatticeCall *self,
                 const char  *id)
{
  Negotiation *n = g_hash_table_lookup (self->negotiations, id);

  if (n == NULL)
    {
      n = g_new0 (Negotiation, 1);
      g_hash_table_insert (self->negotiations, g_strdup (id), n);
    }
  return n;
}

static void
destroy_source (gpointer data)
{
  g_source_destroy (data);
  g_source_unref (data);
}

void
lattice_call_negotiation_init (LatticeCall *self)
{
  self->awaiting_answer = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->rebuilds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, destroy_source);
  self->negotiations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, negotiation_free);
}

void
lattice_call_negotiation_clear (LatticeCall *self)
{
  g_clear_pointer (&self->awaiting_answer, g_hash_table_unref);
  g_clear_pointer (&self->rebuilds, g_hash_table_unref);
  g_clear_pointer (&self->negotiations, g_hash_table_unref);
}

/* Resources */

static guint
count_open_files (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  if (dir == NULL)
    return 0;
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

gboolean
lattice_call_has_room_for_connection (void)
{
  struct rlimit limit;
  guint open_files;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return TRUE;
  open_files = count_open_files ();
  if (open_files + 2 * FDS_PER_CONNECTION <= limit.rlim_cur)
    return TRUE;
  g_warning ("%u of %lu open files in use: no room for another connection",
             open_files, (unsigned long) limit.rlim_cur);
  return FALSE;
}

static void schedule_rebuild (LatticeCall *self, const char *id);

/* Starts a fresh connection to @id with this side offering; with no room
 * for one, tries again later like after a failure. */
void
lattice_call_offer_to (LatticeCall *self,
                       const char  *id)
{
  LatticeParticipant *participant;

  if (lattice_media_engine_lookup_peer (self->engine, id) != NULL)
    lattice_media_engine_remove_peer (self->engine, id);
  g_hash_table_remove (self->awaiting_answer, id);
  if (!lattice_call_has_room_for_connection ())
    {
      if ((participant = lattice_call_lookup (self, id)) != NULL)
        lattice_participant_set_connection_state (participant, LATTICE_CONNECTION_FAILED);
      negotiation_for (self, id)->failures++;
      schedule_rebuild (self, id);
      return;
    }
  lattice_call_add_peer (self, id, TRUE);
}

/* A timeout about one participant: a rebuild, or an offer waiting for
 * its turn. Its source is destroyed before the call goes (dispose). */
typedef struct {
  LatticeCall *call;  /* weak */
  char        *id;
} Timer;

static void
timer_free (gpointer data)
{
  Timer *timer = data;

  g_free (timer->id);
  g_free (timer);
}

static GSource *
timer_new (LatticeCall *self,
           const char  *id,
           guint        ms,
           GSourceFunc  func)
{
  Timer *timer = g_new0 (Timer, 1);
  GSource *source = g_timeout_source_new (ms);

  timer->call = self;
  timer->id = g_strdup (id);
  g_source_set_callback (source, func, timer, timer_free);
  g_source_attach (source, NULL);
  return source;
}

/* Rebuilding failed connections */

static gboolean
on_rebuild_due (gpointer data)
{
  Timer *timer = data;
  LatticeCall *self = timer->call;
  LatticePeerConnection *peer = lattice_media_engine_lookup_peer (self->engine, timer->id);
  g_autofree char *id = g_strdup (timer->id);
  gpointer key, source;

  /* the source is finishing by itself: forget it without destroying it */
  if (g_hash_table_steal_extended (self->rebuilds, id, &key, &source))
    {
      g_free (key);
      g_source_unref (source);
    }
  /* Without signaling an offer goes nowhere, and the connection would wait
   * out its connect timeout: the rejoin offers again instead. */
  if (self->state != LATTICE_CALL_STATE_IN_CALL)
    return G_SOURCE_REMOVE;
  if (lattice_call_find_participant (self, id, NULL) &&
      (peer == NULL || lattice_peer_connection_get_state (peer) == LATTICE_PEER_CONNECTION_STATE_FAILED))
    {
      g_info ("Rebuilding the connection to %s", id);
      lattice_call_offer_to (self, id);
    }
  return G_SOURCE_REMOVE;
}

static guint
rebuild_delay_ms (const Negotiation *n)
{
  guint max = n->mismatch ? REBUILD_MISMATCH_MAX_MS : REBUILD_MAX_MS;
  guint delay = REBUILD_BASE_MS;

  for (guint i = 1; i < n->failures && delay < max; i++)
    delay *= 2;
  delay = MIN (delay, max);
  return delay + (guint) g_random_int_range (0, (gint32) MIN (delay, REBUILD_BASE_MS) + 1);
}

/* webrtcbin has no ICE restart: a failed connection is torn down and
 * offered again, after a pause so a dead network is not hammered. Either
 * side may do it; an offer crossing ours is settled in on_client_offer(). */
static void
schedule_rebuild (LatticeCall *self,
                  const char  *id)
{
  Negotiation *n = negotiation_for (self, id);
  guint delay;

  if (g_hash_table_contains (self->rebuilds, id))
    return;
  delay = rebuild_delay_ms (n);
  g_debug ("Connection to %s failed %u time(s) in a row: offering again in %u ms", id, n->failures, delay);
  g_hash_table_insert (self->rebuilds, g_strdup (id), timer_new (self, id, delay, on_rebuild_due));
}

void
lattice_call_cancel_rebuild (LatticeCall *self,
                             const char  *id)
{
  g_hash_table_remove (self->rebuilds, id);
}

void
lattice_call_peer_state_changed (LatticeCall           *self,
                                 LatticePeerConnection *peer)
{
  const char *id = lattice_peer_connection_get_id (peer);
  LatticeParticipant *participant = lattice_call_lookup (self, id);
  Negotiation *n;

  /* late news from a replaced connection are not about the current one */
  if (participant == NULL || lattice_media_engine_lookup_peer (self->engine, id) != peer)
    return;
  n = negotiation_for (self, id);
  /* the certificate is the announced one: whatever failed before is over */
  if (n->mismatch && lattice_peer_connection_get_remote_fingerprint (peer) != NULL)
    {
      n->mismatch = FALSE;
      lattice_participant_set_video_notice (participant, NULL);
    }
  switch (lattice_peer_connection_get_state (peer))
    {
    case LATTICE_PEER_CONNECTION_STATE_CONNECTED:
      if (n->connected_us == 0)
        n->connected_us = g_get_monotonic_time ();
      break;
    case LATTICE_PEER_CONNECTION_STATE_FAILED:
      if (n->connected_us != 0 && g_get_monotonic_time () - n->connected_us >= REBUILD_STABLE_US)
        n->failures = 0;
      n->connected_us = 0;
      n->failures++;
      n->mismatch = lattice_peer_connection_get_fingerprint_mismatch (peer);
      if (n->mismatch)
        lattice_participant_set_video_notice (participant,
                                              _("The connection failed its security check: someone may be "
                                                "tampering with it"));
      schedule_rebuild (self, id);
      break;
    case LATTICE_PEER_CONNECTION_STATE_NEW:
    case LATTICE_PEER_CONNECTION_STATE_CONNECTING:
    case LATTICE_PEER_CONNECTION_STATE_CLOSED:
    default:
      break;
    }
}

/* Signaling */

static void
reject (LatticeCall *self,
        const char  *to,
        const char  *code,
        const char  *reason)
{
  g_info ("Refusing the offer of %s: %s (%s)", to, reason, code);
  if (self->client != NULL)
    lattice_signaling_client_send_reject (self->client, to, code, reason, "offer");
}

/* Whether the offer of @from may replace its connection; refuses it
 * (telling @from why) if not. */
static gboolean
take_offer (LatticeCall *self,
            const char  *from,
            const char  *sdp)
{
  Negotiation *n = negotiation_for (self, from);
  g_autofree char *reason = NULL;
  const char *code;

  switch (lattice_offer_rate_check (&n->rate, g_get_monotonic_time ()))
    {
    case LATTICE_OFFER_RATE_IGNORE:
      g_debug ("Ignoring an offer from %s: it offered too often", from);
      return FALSE;
    case LATTICE_OFFER_RATE_SLOW_DOWN:
      reject (self, from, LATTICE_REJECT_SLOW_DOWN,
              "Too many offers: the next ones are ignored for " G_STRINGIFY (LATTICE_OFFER_PENALTY_S) " s");
      return FALSE;
    case LATTICE_OFFER_RATE_OK:
    default:
      break;
    }
  code = lattice_offer_check (sdp, &reason);
  if (code != NULL)
    {
      reject (self, from, code, reason);
      return FALSE;
    }
  if (!lattice_call_has_room_for_connection ())
    {
      reject (self, from, LATTICE_REJECT_RESOURCES, "No room for another connection now");
      return FALSE;
    }
  return TRUE;
}

/* An offer starts a fresh connection: a peer that restarted, or one
 * rebuilding a broken connection, offers again, and the old webrtcbin
 * cannot take a second remote offer with new ICE credentials. When two
 * offers cross, the one from the lower participant id wins on both sides. */
static void
apply_offer (LatticeCall *self,
             const char  *from,
             const char  *sdp)
{
  g_autoptr(GError) error = NULL;
  LatticePeerConnection *peer = lattice_media_engine_lookup_peer (self->engine, from);

  negotiation_for (self, from)->last_taken_us = g_get_monotonic_time ();
  if (lattice_call_lookup (self, from) == NULL)
    {
      g_autoptr(LatticeParticipantInfo) info = lattice_participant_info_new (from, NULL);
      gboolean added;

      lattice_call_ensure_participant (self, info, &added);
    }
  if (peer != NULL && g_hash_table_contains (self->awaiting_answer, from) &&
      g_strcmp0 (lattice_call_own_id (self), from) < 0)
    {
      g_debug ("Offer from %s crossed ours; ours wins", from);
      return;
    }
  g_hash_table_remove (self->awaiting_answer, from);
  lattice_call_cancel_rebuild (self, from);
  if (peer != NULL)
    {
      g_debug ("New offer from %s: replacing its connection", from);
      lattice_media_engine_remove_peer (self->engine, from);
    }
  peer = lattice_call_add_peer (self, from, FALSE);
  if (peer != NULL && !lattice_peer_connection_set_remote_description (peer, "offer", sdp, &error))
    g_info ("Bad offer from %s: %s", from, error->message);
}

static gboolean
on_pending_offer_due (gpointer data)
{
  Timer *timer = data;
  LatticeCall *self = timer->call;
  Negotiation *n = g_hash_table_lookup (self->negotiations, timer->id);
  g_autofree char *id = g_strdup (timer->id);
  g_autofree char *sdp = NULL;

  if (n == NULL)
    return G_SOURCE_REMOVE;
  sdp = g_steal_pointer (&n->pending_sdp);
  /* the source is finishing by itself: forget it without destroying it */
  g_clear_pointer (&n->pending_source, g_source_unref);
  if (sdp != NULL && self->state == LATTICE_CALL_STATE_IN_CALL)
    apply_offer (self, id, sdp);
  return G_SOURCE_REMOVE;
}

/* An offer starts a fresh connection: a peer that restarted, or one
 * rebuilding a broken connection, offers again, and the old webrtcbin
 * cannot take a second remote offer with new ICE credentials. When two
 * offers cross, the one from the lower participant id wins on both sides.
 * An offer that comes within OFFER_GAP_US of the last one taken from the
 * same participant waits for the gap's end (coalesced with any newer). */
void
lattice_call_on_client_offer (LatticeSignalingClient *client,
                              const char             *from,
                              const char             *sdp,
                              LatticeCall            *self)
{
  Negotiation *n;
  gint64 now = g_get_monotonic_time ();

  if (!take_offer (self, from, sdp))
    return;
  n = negotiation_for (self, from);
  if (n->last_taken_us == 0 || now - n->last_taken_us >= OFFER_GAP_US)
    {
      apply_offer (self, from, sdp);
      return;
    }
  g_debug ("Offer from %s while its last is being set up: it waits", from);
  g_free (n->pending_sdp);
  n->pending_sdp = g_strdup (sdp);
  if (n->pending_source == NULL)
    n->pending_source = timer_new (self, from, (guint) ((n->last_taken_us + OFFER_GAP_US - now) / 1000) + 1,
                                   on_pending_offer_due);
}

void
lattice_call_on_client_answer (LatticeSignalingClient *client,
                               const char             *from,
                               const char             *sdp,
                               LatticeCall            *self)
{
  g_autoptr(GError) error = NULL;
  LatticePeerConnection *peer = lattice_media_engine_lookup_peer (self->engine, from);

  if (peer == NULL || !lattice_peer_connection_get_offerer (peer))
    {
      g_debug ("Answer from %s, who was not offered to", from);
      return;
    }
  if (!g_hash_table_remove (self->awaiting_answer, from))
    {
      g_debug ("Answer from %s to an offer we no longer wait on", from);
      return;
    }
  if (!lattice_peer_connection_set_remote_description (peer, "answer", sdp, &error))
    g_info ("Bad answer from %s: %s", from, error->message);
}

void
lattice_call_on_client_candidate (LatticeSignalingClient *client,
                                  const char             *from,
                                  guint                   mline,
                                  const char             *mid,
                                  const char             *candidate,
                                  LatticeCall            *self)
{
  LatticePeerConnection *peer = lattice_media_engine_lookup_peer (self->engine, from);

  if (peer == NULL)
    {
      g_debug ("Candidate from %s, with whom there is no connection", from);
      return;
    }
  lattice_peer_connection_add_remote_candidate (peer, mline, candidate);
}

/* Our offer was refused: the connection is not set up. Its state stays
 * failed; one refused for now (slow-down, resources) is tried again like
 * any failed connection, later each time. */
void
lattice_call_on_client_reject (LatticeSignalingClient *client,
                               const char             *from,
                               const char             *code,
                               const char             *message,
                               LatticeCall            *self)
{
  LatticePeerConnection *peer = lattice_media_engine_lookup_peer (self->engine, from);
  LatticeParticipant *participant = lattice_call_lookup (self, from);

  g_info ("%s refused our offer: %s (%s)", from, message, code);
  if (peer == NULL || participant == NULL || !g_hash_table_remove (self->awaiting_answer, from))
    return;
  lattice_media_engine_remove_peer (self->engine, from);
  lattice_participant_set_connection_state (participant, LATTICE_CONNECTION_FAILED);
  negotiation_for (self, from)->failures++;
  schedule_rebuild (self, from);
}

/* The server knows nobody by @id any more: one that is still connected to
 * us stays (its signaling may be on its way back), any other goes. */
void
lattice_call_on_client_unknown_target (LatticeSignalingClient *client,
                                       const char             *id,
                                       LatticeCall            *self)
{
  LatticePeerConnection *peer = lattice_media_engine_lookup_peer (self->engine, id);

  if (lattice_call_lookup (self, id) == NULL ||
      (peer != NULL && lattice_peer_connection_get_state (peer) == LATTICE_PEER_CONNECTION_STATE_CONNECTED))
    return;
  g_info ("%s is no longer in the room", id);
  lattice_call_remove_participant (self, id);
}
