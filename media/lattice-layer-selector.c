/* lattice-layer-selector.c: which of the encoded video layers one peer receives
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeMedia"

#include "config.h"

#include <gst/video/video.h>

#include "lattice-layer-selector.h"
#include "lattice-vp8-layers.h"

/* A switch to the other encoder asks it for a keyframe, and again this
 * often until one comes (the encoder throttles forced keyframes itself). */
#define SWITCH_REQUEST_INTERVAL_US (500 * G_TIME_SPAN_MILLISECOND)

typedef enum {
  INPUT_FULL,
  INPUT_LOW,
  N_INPUTS,
  INPUT_NONE = N_INPUTS,
} Input;

enum {
  PROP_0,
  PROP_TARGET,
  PROP_CURRENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct {
  GstPad   *pad;
  GstEvent *caps;     /* the latest of each, replayed when this input becomes the active one */
  GstEvent *segment;
} InputState;

struct _LatticeLayerSelector {
  GstElement         parent_instance;

  GstPad            *srcpad;
  InputState         inputs[N_INPUTS];

  /* Serializes everything pushed on srcpad, from both encoders' threads,
   * together with the decision to push it. Taken before lock. */
  GMutex             push_lock;
  /* The state below; never held while pushing upstream. */
  GMutex             lock;
  LatticeVideoLayer  target;
  Input              active;         /* the input forwarded now, or INPUT_NONE */
  Input              pending;        /* waiting for its keyframe to become active */
  guint              max_temporal;   /* of the active input, as forwarded now */
  gboolean           stream_started; /* a stream-start went out */
  gboolean           need_events;    /* replay the active input's caps and segment first */
  gint64             last_request_us;
  LatticeLayerSelectorStats stats;
};

G_DEFINE_FINAL_TYPE (LatticeLayerSelector, lattice_layer_selector, GST_TYPE_ELEMENT)

static GstStaticPadTemplate sink_full_template =
  GST_STATIC_PAD_TEMPLATE ("sink_full", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-vp8"));
static GstStaticPadTemplate sink_low_template =
  GST_STATIC_PAD_TEMPLATE ("sink_low", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-vp8"));
static GstStaticPadTemplate src_template =
  GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-vp8"));

/* Layers. */

const char *
lattice_video_layer_to_string (LatticeVideoLayer layer)
{
  switch (layer)
    {
    case LATTICE_VIDEO_LAYER_NONE: return "none";
    case LATTICE_VIDEO_LAYER_LOW_QUARTER: return "low-quarter";
    case LATTICE_VIDEO_LAYER_LOW_HALF: return "low-half";
    case LATTICE_VIDEO_LAYER_LOW: return "low";
    case LATTICE_VIDEO_LAYER_FULL_QUARTER: return "full-quarter";
    case LATTICE_VIDEO_LAYER_FULL_HALF: return "full-half";
    case LATTICE_VIDEO_LAYER_FULL: return "full";
    default: return "unknown";
    }
}

gboolean
lattice_video_layer_is_full (LatticeVideoLayer layer)
{
  return layer == LATTICE_VIDEO_LAYER_FULL || layer == LATTICE_VIDEO_LAYER_FULL_HALF ||
         layer == LATTICE_VIDEO_LAYER_FULL_QUARTER;
}

guint
lattice_video_layer_max_temporal (LatticeVideoLayer layer)
{
  switch (layer)
    {
    case LATTICE_VIDEO_LAYER_LOW_QUARTER:
    case LATTICE_VIDEO_LAYER_FULL_QUARTER: return 0;
    case LATTICE_VIDEO_LAYER_LOW_HALF:
    case LATTICE_VIDEO_LAYER_FULL_HALF: return 1;
    case LATTICE_VIDEO_LAYER_NONE:
    case LATTICE_VIDEO_LAYER_LOW:
    case LATTICE_VIDEO_LAYER_FULL:
    default: return LATTICE_VP8_TEMPORAL_LAYERS - 1;
    }
}

static Input
layer_input (LatticeVideoLayer layer)
{
  if (layer == LATTICE_VIDEO_LAYER_NONE)
    return INPUT_NONE;
  return lattice_video_layer_is_full (layer) ? INPUT_FULL : INPUT_LOW;
}

static LatticeVideoLayer
input_layer (Input input, guint max_temporal)
{
  static const LatticeVideoLayer full[] = { LATTICE_VIDEO_LAYER_FULL_QUARTER, LATTICE_VIDEO_LAYER_FULL_HALF,
                                            LATTICE_VIDEO_LAYER_FULL };
  static const LatticeVideoLayer low[] = { LATTICE_VIDEO_LAYER_LOW_QUARTER, LATTICE_VIDEO_LAYER_LOW_HALF,
                                           LATTICE_VIDEO_LAYER_LOW };

  max_temporal = MIN (max_temporal, G_N_ELEMENTS (full) - 1);
  if (input == INPUT_FULL)
    return full[max_temporal];
  if (input == INPUT_LOW)
    return low[max_temporal];
  return LATTICE_VIDEO_LAYER_NONE;
}

static Input
pad_input (LatticeLayerSelector *self, GstPad *pad)
{
  return pad == self->inputs[INPUT_FULL].pad ? INPUT_FULL : INPUT_LOW;
}

/* Keyframe requests, never with a lock held: they travel up into the
 * encoder, whose thread may be waiting for push_lock. */
static void
request_keyframe_on (LatticeLayerSelector *self, Input input)
{
  if (input == INPUT_NONE)
    return;
  gst_pad_push_event (self->inputs[input].pad,
                      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0));
}

/* Where a keyframe request should go now; call with lock held. */
static Input
keyframe_input_locked (LatticeLayerSelector *self)
{
  return self->pending != INPUT_NONE ? self->pending : self->active;
}

/* Data. */

typedef enum {
  DROP,
  FORWARD,
} Verdict;

/* What to do with a frame of @input; call with both locks held. Sets
 * *@request to the input to ask for a keyframe (INPUT_NONE: nobody). */
static Verdict
judge_frame (LatticeLayerSelector *self, Input input, GstBuffer *buffer, Input *request)
{
  gboolean keyframe = !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  guint target_temporal = lattice_video_layer_max_temporal (self->target);
  guint layer = 0;
  gboolean sync = FALSE;
  gint64 now = g_get_monotonic_time ();

  *request = INPUT_NONE;
  if (self->target == LATTICE_VIDEO_LAYER_NONE)
    return DROP;
  if (input == self->pending)
    {
      if (keyframe)
        {
          /* the new encoder's picture starts here: switch */
          if (self->active != INPUT_NONE && self->active != input)
            self->stats.switches++;
          self->active = input;
          self->pending = INPUT_NONE;
          self->max_temporal = target_temporal;
          self->need_events = TRUE;
          return FORWARD;
        }
      if (now - self->last_request_us >= SWITCH_REQUEST_INTERVAL_US)
        {
          self->last_request_us = now;
          self->stats.keyframe_requests++;
          *request = input;
        }
      return DROP;
    }
  if (input != self->active)
    return DROP;
  if (keyframe)
    {
      self->max_temporal = target_temporal;
      return FORWARD;
    }
  /* No layer information: one layer, every frame a reference. */
  if (!lattice_vp8_layers_frame_info (buffer, &layer, &sync))
    return FORWARD;
  if (target_temporal < self->max_temporal)
    self->max_temporal = target_temporal;
  else if (layer > self->max_temporal && layer <= target_temporal && sync)
    self->max_temporal = layer;  /* decodable from here: it refers to nothing dropped */
  return layer <= self->max_temporal ? FORWARD : DROP;
}

static GstFlowReturn
push_locked (LatticeLayerSelector *self, Input input, GstBuffer *buffer)
{
  GstEvent *events[2] = { NULL, NULL };
  GstFlowReturn ret;

  g_mutex_lock (&self->lock);
  if (self->need_events)
    {
      if (self->inputs[input].caps != NULL)
        events[0] = gst_event_ref (self->inputs[input].caps);
      if (self->inputs[input].segment != NULL)
        events[1] = gst_event_ref (self->inputs[input].segment);
      self->need_events = FALSE;
    }
  self->stats.frames++;
  self->stats.bytes += gst_buffer_get_size (buffer);
  g_mutex_unlock (&self->lock);

  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    if (events[i] != NULL)
      gst_pad_push_event (self->srcpad, events[i]);
  ret = gst_pad_push (self->srcpad, buffer);
  /* This branch is one peer's: its troubles never reach the shared encoder. */
  if (ret == GST_FLOW_FLUSHING || ret == GST_FLOW_NOT_LINKED)
    ret = GST_FLOW_OK;
  return ret;
}

static GstFlowReturn
lattice_layer_selector_chain (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  LatticeLayerSelector *self = LATTICE_LAYER_SELECTOR (parent);
  Input input = pad_input (self, pad);
  Input request;
  Verdict verdict;
  GstFlowReturn ret = GST_FLOW_OK;
  LatticeVideoLayer before, after;

  g_mutex_lock (&self->push_lock);
  g_mutex_lock (&self->lock);
  before = input_layer (self->active, self->max_temporal);
  verdict = judge_frame (self, input, buffer, &request);
  after = input_layer (self->active, self->max_temporal);
  g_mutex_unlock (&self->lock);
  if (verdict == FORWARD)
    ret = push_locked (self, input, buffer);
  else
    gst_buffer_unref (buffer);
  g_mutex_unlock (&self->push_lock);

  request_keyframe_on (self, request);
  if (before != after)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT]);
  return ret;
}

/* Events. */

static gboolean
lattice_layer_selector_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  LatticeLayerSelector *self = LATTICE_LAYER_SELECTOR (parent);
  Input input = pad_input (self, pad);
  gboolean forward;
  gboolean serialized = GST_EVENT_IS_SERIALIZED (event);

  if (serialized)
    g_mutex_lock (&self->push_lock);
  g_mutex_lock (&self->lock);
  switch (GST_EVENT_TYPE (event))
    {
    case GST_EVENT_STREAM_START:
      /* one stream goes out, whichever encoder starts first */
      forward = !self->stream_started;
      self->stream_started = TRUE;
      break;
    case GST_EVENT_CAPS:
      gst_event_replace (&self->inputs[input].caps, event);
      forward = input == self->active && !self->need_events;
      break;
    case GST_EVENT_SEGMENT:
      gst_event_replace (&self->inputs[input].segment, event);
      forward = input == self->active && !self->need_events;
      break;
    default:
      forward = input == self->active;
      break;
    }
  g_mutex_unlock (&self->lock);
  if (forward)
    forward = gst_pad_push_event (self->srcpad, event);
  else
    {
      gst_event_unref (event);
      forward = TRUE;
    }
  if (serialized)
    g_mutex_unlock (&self->push_lock);
  return forward;
}

static gboolean
lattice_layer_selector_src_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  LatticeLayerSelector *self = LATTICE_LAYER_SELECTOR (parent);
  Input input;

  g_mutex_lock (&self->lock);
  input = keyframe_input_locked (self);
  if (gst_video_event_is_force_key_unit (event))
    self->stats.keyframe_requests++;
  g_mutex_unlock (&self->lock);

  /* Custom upstream events (transport-wide feedback, say) concern this
   * peer's connection, not the encoders every peer shares. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM && !gst_video_event_is_force_key_unit (event))
    {
      gst_event_unref (event);
      return TRUE;
    }
  if (input == INPUT_NONE)
    input = INPUT_FULL;
  return gst_pad_push_event (self->inputs[input].pad, event);
}

static gboolean
lattice_layer_selector_src_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  LatticeLayerSelector *self = LATTICE_LAYER_SELECTOR (parent);
  Input input;

  if (GST_QUERY_TYPE (query) == GST_QUERY_CAPS)
    return gst_pad_query_default (pad, parent, query);
  g_mutex_lock (&self->lock);
  input = keyframe_input_locked (self);
  g_mutex_unlock (&self->lock);
  if (input == INPUT_NONE)
    input = INPUT_FULL;
  return gst_pad_peer_query (self->inputs[input].pad, query);
}

static gboolean
lattice_layer_selector_sink_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  LatticeLayerSelector *self = LATTICE_LAYER_SELECTOR (parent);

  switch (GST_QUERY_TYPE (query))
    {
    case GST_QUERY_CAPS:
    case GST_QUERY_ACCEPT_CAPS:
      /* both encoders' caps are the payloader's to accept */
      return gst_pad_peer_query (self->srcpad, query);
    case GST_QUERY_ALLOCATION:
      return FALSE;
    default:
      return gst_pad_query_default (pad, parent, query);
    }
}

/* Public API. */

GstElement *
lattice_layer_selector_new (const char *name)
{
  return g_object_new (LATTICE_TYPE_LAYER_SELECTOR, "name", name, NULL);
}

void
lattice_layer_selector_set_target (LatticeLayerSelector *self,
                                   LatticeVideoLayer     layer)
{
  Input request = INPUT_NONE;
  Input wanted;

  g_return_if_fail (LATTICE_IS_LAYER_SELECTOR (self));
  g_return_if_fail (layer <= LATTICE_VIDEO_LAYER_LAST);

  g_mutex_lock (&self->lock);
  if (self->target == layer)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  self->target = layer;
  wanted = layer_input (layer);
  if (wanted == INPUT_NONE)
    {
      /* nothing goes out; coming back needs a keyframe */
      self->active = INPUT_NONE;
      self->pending = INPUT_NONE;
    }
  else if (wanted != self->active)
    {
      self->pending = wanted;
      self->last_request_us = g_get_monotonic_time ();
      self->stats.keyframe_requests++;
      request = wanted;
    }
  else
    self->pending = INPUT_NONE;  /* back to the active one before the switch happened */
  g_mutex_unlock (&self->lock);

  request_keyframe_on (self, request);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TARGET]);
}

LatticeVideoLayer
lattice_layer_selector_get_target (LatticeLayerSelector *self)
{
  LatticeVideoLayer layer;

  g_return_val_if_fail (LATTICE_IS_LAYER_SELECTOR (self), LATTICE_VIDEO_LAYER_NONE);

  g_mutex_lock (&self->lock);
  layer = self->target;
  g_mutex_unlock (&self->lock);
  return layer;
}

LatticeVideoLayer
lattice_layer_selector_get_current (LatticeLayerSelector *self)
{
  LatticeVideoLayer layer;

  g_return_val_if_fail (LATTICE_IS_LAYER_SELECTOR (self), LATTICE_VIDEO_LAYER_NONE);

  g_mutex_lock (&self->lock);
  layer = self->target == LATTICE_VIDEO_LAYER_NONE ? LATTICE_VIDEO_LAYER_NONE
                                                   : input_layer (self->active, self->max_temporal);
  g_mutex_unlock (&self->lock);
  return layer;
}

void
lattice_layer_selector_request_keyframe (LatticeLayerSelector *self)
{
  Input input;

  g_return_if_fail (LATTICE_IS_LAYER_SELECTOR (self));

  g_mutex_lock (&self->lock);
  input = keyframe_input_locked (self);
  if (input == INPUT_NONE && self->target != LATTICE_VIDEO_LAYER_NONE)
    input = layer_input (self->target);
  if (input != INPUT_NONE)
    self->stats.keyframe_requests++;
  g_mutex_unlock (&self->lock);
  request_keyframe_on (self, input);
}

void
lattice_layer_selector_get_stats (LatticeLayerSelector      *self,
                                  LatticeLayerSelectorStats *stats)
{
  g_return_if_fail (LATTICE_IS_LAYER_SELECTOR (self));
  g_return_if_fail (stats != NULL);

  g_mutex_lock (&self->lock);
  *stats = self->stats;
  g_mutex_unlock (&self->lock);
}

/* GObject. */

static GstStateChangeReturn
lattice_layer_selector_change_state (GstElement *element, GstStateChange transition)
{
  LatticeLayerSelector *self = LATTICE_LAYER_SELECTOR (element);
  GstStateChangeReturn ret;

  ret = GST_ELEMENT_CLASS (lattice_layer_selector_parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    {
      g_mutex_lock (&self->lock);
      for (guint i = 0; i < N_INPUTS; i++)
        {
          gst_clear_event (&self->inputs[i].caps);
          gst_clear_event (&self->inputs[i].segment);
        }
      self->pending = layer_input (self->target);
      self->active = INPUT_NONE;
      self->stream_started = FALSE;
      self->need_events = FALSE;
      g_mutex_unlock (&self->lock);
    }
  return ret;
}

static void
lattice_layer_selector_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LatticeLayerSelector *self = LATTICE_LAYER_SELECTOR (object);

  switch (prop_id)
    {
    case PROP_TARGET:
      g_value_set_int (value, lattice_layer_selector_get_target (self));
      break;
    case PROP_CURRENT:
      g_value_set_int (value, lattice_layer_selector_get_current (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_layer_selector_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  LatticeLayerSelector *self = LATTICE_LAYER_SELECTOR (object);

  switch (prop_id)
    {
    case PROP_TARGET:
      lattice_layer_selector_set_target (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lattice_layer_selector_finalize (GObject *object)
{
  LatticeLayerSelector *self = LATTICE_LAYER_SELECTOR (object);

  for (guint i = 0; i < N_INPUTS; i++)
    {
      gst_clear_event (&self->inputs[i].caps);
      gst_clear_event (&self->inputs[i].segment);
    }
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->push_lock);

  G_OBJECT_CLASS (lattice_layer_selector_parent_class)->finalize (object);
}

static void
lattice_layer_selector_class_init (LatticeLayerSelectorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->get_property = lattice_layer_selector_get_property;
  object_class->set_property = lattice_layer_selector_set_property;
  object_class->finalize = lattice_layer_selector_finalize;
  element_class->change_state = lattice_layer_selector_change_state;

  properties[PROP_TARGET] =
    g_param_spec_int ("target", NULL, NULL, LATTICE_VIDEO_LAYER_NONE, LATTICE_VIDEO_LAYER_LAST,
                      LATTICE_VIDEO_LAYER_FULL,
                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_CURRENT] =
    g_param_spec_int ("current", NULL, NULL, LATTICE_VIDEO_LAYER_NONE, LATTICE_VIDEO_LAYER_LAST,
                      LATTICE_VIDEO_LAYER_NONE,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gst_element_class_add_static_pad_template (element_class, &sink_full_template);
  gst_element_class_add_static_pad_template (element_class, &sink_low_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Lattice layer selector", "Filter/Video",
                                         "Forwards the encoded video layers one peer receives",
                                         "Lattice");
}

static GstPad *
make_sink_pad (LatticeLayerSelector *self, GstStaticPadTemplate *templ)
{
  GstPad *pad = gst_pad_new_from_static_template (templ, templ->name_template);

  gst_pad_set_chain_function (pad, lattice_layer_selector_chain);
  gst_pad_set_event_function (pad, lattice_layer_selector_sink_event);
  gst_pad_set_query_function (pad, lattice_layer_selector_sink_query);
  gst_element_add_pad (GST_ELEMENT (self), pad);
  return pad;
}

static void
lattice_layer_selector_init (LatticeLayerSelector *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->push_lock);
  self->target = LATTICE_VIDEO_LAYER_FULL;
  self->active = INPUT_NONE;
  self->pending = INPUT_FULL;
  self->inputs[INPUT_FULL].pad = make_sink_pad (self, &sink_full_template);
  self->inputs[INPUT_LOW].pad = make_sink_pad (self, &sink_low_template);
  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_event_function (self->srcpad, lattice_layer_selector_src_event);
  gst_pad_set_query_function (self->srcpad, lattice_layer_selector_src_query);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}
