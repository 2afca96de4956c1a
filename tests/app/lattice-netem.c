/* lattice-netem.c: an Ethernet switch in userspace that impairs what it forwards
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The test machines' kernel has no sch_netem, so the tests' impaired network
 * is this switch. It runs in a namespace of its own (the router, R) with one
 * AF_PACKET socket per port, a veth whose other end is a host's eth0, and
 * switches frames between the ports as a learning switch does. Each port has
 * two impairments: "up" for the frames its host sends, "down" for those the
 * switch sends to it, so a frame from host A to host B gets A's up and then
 * B's down. An impairment is a random loss, a delay with a jitter that never
 * reorders, or a blackout. Rate caps are not done here but by tbf qdiscs: on
 * the host's eth0 (up), and on the port (down), which is where the frames
 * written here go through.
 *
 *   lattice-netem [--seed N] PORT...      the switch, driven on stdin
 *   lattice-netem --no-offload IFNAME...  makes IFNAME put on the wire what
 *                                         this switch can forward (see below)
 *
 * The switch reads commands on stdin, one a line, and answers each with one
 * JSON line on stdout:
 *
 *   set PORT up|down [loss=PERCENT] [delay=MS] [jitter=MS] [blackout=0|1]
 *       {"event":"ok"}, or {"event":"error","message":…} changing nothing;
 *       what is not named keeps its value
 *   stats
 *       {"event":"stats","cpu_ms":…,"ports":[{"port":…,"up":{…},"down":{…}}]}, each
 *       direction with its settings and counters (Direction below)
 *
 * It prints {"event":"ready"} once every port is open, and exits with 0 when
 * stdin closes, so it never outlives the test that feeds it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

/* Largest frame read: a veth's MTU goes up to 65535. A longer one (none
 * should come) would be cut, and is counted as bad rather than forwarded. */
#define FRAME_MAX        (65536 + ETH_HLEN)
/* What one direction holds back at most: at 10 Mbit/s, a 25 s delay. */
#define QUEUE_BYTES_MAX  (32 * 1024 * 1024)
/* Frames read from one port before the others get their turn. */
#define READ_BATCH       64
/* A learned address is forgotten after this long unheard, as switches do. */
#define MAC_AGE_US       (300 * G_USEC_PER_SEC)
#define MAC_TABLE_MAX    4096
/* Socket buffers: a switch stalled by a loaded machine for a moment must not
 * drop what arrives meanwhile, nor fail to write what is queued at a tbf. */
#define SOCKET_BUFFER    (4 * 1024 * 1024)
#define LINE_MAX_LEN     4096
#define DELAY_MAX_MS     60000

typedef struct _Frame Frame;
struct _Frame
{
  Frame  *next;
  gint64  due_us;  /* when it leaves its direction's queue */
  gsize   len;
  guint8  data[];
};

typedef struct {
  double   loss_percent;
  guint    delay_ms;
  guint    jitter_ms;
  gboolean blackout;
} Impairment;

typedef struct {
  Impairment  impairment;
  /* one generator per direction, so that a direction's losses and delays
   * for a given seed do not depend on what goes on elsewhere */
  GRand      *rand;
  /* frames held back, oldest first; their due times never go down */
  Frame      *head;
  Frame      *tail;
  guint       queued;
  gsize       queued_bytes;
  guint64     frames;    /* that entered this direction */
  guint64     dropped;   /* by the loss or a blackout */
  guint64     overflow;  /* more than QUEUE_BYTES_MAX held back */
} Direction;

typedef struct {
  char      *name;
  int        fd;
  Direction  up;
  Direction  down;
  guint64    bad;           /* frames from the host too short or too long */
  guint64    kernel_drops;  /* frames the socket had no room for */
  guint64    send_errors;   /* writes refused: a tbf queue full, a frame over the MTU… */
} Port;

typedef struct {
  guint64  mac;
  Port    *port;
  gint64   seen_us;
} MacEntry;

typedef struct {
  Port       *ports;
  guint       n_ports;
  GHashTable *macs;     /* guint64 address → MacEntry */
  guint8     *buffer;   /* FRAME_MAX */
  GString    *input;    /* stdin not yet a whole line */
  gboolean    skipping; /* the rest of a line too long to be a command */
} Switch;

static void direction_offer (Switch *sw, Port *port, Direction *dir, Frame *frame, gint64 now);

/* Output */

static char *
json_string (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  GString *json = g_string_new ("\"");

  for (const char *c = valid; *c != '\0'; c++)
    {
      if (*c == '"' || *c == '\\')
        g_string_append_printf (json, "\\%c", *c);
      else if ((guchar) *c < 0x20)
        g_string_append_printf (json, "\\u%04x", (guint) (guchar) *c);
      else
        g_string_append_c (json, *c);
    }
  g_string_append_c (json, '"');
  return g_string_free (json, FALSE);
}

/* One line {"event":EVENT,"t":MS,MEMBERS…}; @members is JSON or NULL. "t" is
 * the monotonic clock in ms, as in lattice-peer's events. */
static void
emit (const char *event,
      const char *members)
{
  printf ("{\"event\":\"%s\",\"t\":%" G_GINT64_FORMAT "%s%s}\n", event,
          g_get_monotonic_time () / 1000, members != NULL ? "," : "", members != NULL ? members : "");
  fflush (stdout);
}

static void
emit_error (const char *message)
{
  g_autofree char *text = json_string (message);
  g_autofree char *members = g_strdup_printf ("\"message\":%s", text);

  emit ("error", members);
}

/* Interfaces */

/* Sets @error to "@what: " and errno's message. */
static gboolean
fail_errno (GError     **error,
            const char  *what)
{
  int saved = errno;

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", what, g_strerror (saved));
  return FALSE;
}

/* Turns @cmd_set's feature off on @ifname, and checks with @cmd_get that it
 * is off (another may keep it on). A kernel without it is fine. */
static gboolean
feature_off (int          fd,
             const char  *ifname,
             guint32      cmd_set,
             guint32      cmd_get,
             const char  *what,
             GError     **error)
{
  struct ethtool_value value = { .cmd = cmd_set, .data = 0 };
  struct ifreq request = { 0 };

  g_strlcpy (request.ifr_name, ifname, sizeof request.ifr_name);
  request.ifr_data = (void *) &value;
  if (ioctl (fd, SIOCETHTOOL, &request) < 0 && errno != EOPNOTSUPP)
    {
      g_autofree char *doing = g_strdup_printf ("%s: turning %s off", ifname, what);

      return fail_errno (error, doing);
    }
  value.cmd = cmd_get;
  value.data = 0;
  if (ioctl (fd, SIOCETHTOOL, &request) == 0 && value.data != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s is still on", ifname, what);
      return FALSE;
    }
  return TRUE;
}

/* A host's kernel leaves the checksum of what it sends over a veth for the
 * other end to trust unfinished, and hands it TCP in pieces of up to 64 KB.
 * This switch copies bytes, so without this a frame would reach the other
 * host with a checksum it rejects, or be one frame standing for forty, lost
 * or delayed as one. With checksums and segmentation done in software, what
 * crosses the veth is what a wire would carry. GRO off, on the switch's side,
 * so that it is never handed frames merged back together either. */
static gboolean
make_wire_like (const char  *ifname,
                GError     **error)
{
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  gboolean ok;

  if (fd < 0)
    return fail_errno (error, "socket");
  ok = feature_off (fd, ifname, ETHTOOL_STSO, ETHTOOL_GTSO, "TCP segmentation offload", error) &&
       feature_off (fd, ifname, ETHTOOL_SGSO, ETHTOOL_GGSO, "generic segmentation offload", error) &&
       feature_off (fd, ifname, ETHTOOL_SGRO, ETHTOOL_GGRO, "generic receive offload", error) &&
       feature_off (fd, ifname, ETHTOOL_STXCSUM, ETHTOOL_GTXCSUM, "checksum offload", error);
  close (fd);
  return ok;
}

/* A socket buffer of SOCKET_BUFFER bytes; the *FORCE option passes the
 * system's limit, and root may use it. */
static void
set_buffer (int fd,
            int force_name,
            int name)
{
  int size = SOCKET_BUFFER;

  if (setsockopt (fd, SOL_SOCKET, force_name, &size, sizeof size) < 0)
    (void) setsockopt (fd, SOL_SOCKET, name, &size, sizeof size);
}

static gboolean
port_open (Port        *port,
           GError     **error)
{
  struct sockaddr_ll address = { 0 };
  struct packet_mreq promiscuous = { 0 };
  int ifindex = (int) if_nametoindex (port->name);

  if (ifindex == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no interface %s", port->name);
      return FALSE;
    }
  if (!make_wire_like (port->name, error))
    return FALSE;
  /* protocol 0: the socket hears nothing, from any interface, until bind()
   * gives it its one port */
  port->fd = socket (AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (port->fd < 0)
    return fail_errno (error, port->name);
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons (ETH_P_ALL);
  address.sll_ifindex = ifindex;
  if (bind (port->fd, (struct sockaddr *) &address, sizeof address) < 0)
    return fail_errno (error, port->name);
  /* a switch takes every frame, whatever its destination */
  promiscuous.mr_ifindex = ifindex;
  promiscuous.mr_type = PACKET_MR_PROMISC;
  if (setsockopt (port->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &promiscuous, sizeof promiscuous) < 0)
    return fail_errno (error, port->name);
  /* the frames written to the port are not to be read back (the pkttype
   * check in read_port() does it where the kernel lacks this option) */
  (void) setsockopt (port->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &(int) { 1 }, sizeof (int));
  set_buffer (port->fd, SO_RCVBUFFORCE, SO_RCVBUF);
  set_buffer (port->fd, SO_SNDBUFFORCE, SO_SNDBUF);
  return TRUE;
}

/* Forwarding */

static gint64
now_us (void)
{
  return g_get_monotonic_time ();
}

static guint64
mac_key (const guint8 *mac)
{
  guint64 key = 0;

  for (guint i = 0; i < ETH_ALEN; i++)
    key = key << 8 | mac[i];
  return key;
}

static void
learn (Switch       *sw,
       const guint8 *mac,
       Port         *port,
       gint64        now)
{
  guint64 key = mac_key (mac);
  MacEntry *entry = g_hash_table_lookup (sw->macs, &key);

  if (entry == NULL)
    {
      /* a flood of made-up source addresses must not grow it without end:
       * a full table is flushed, and relearned from the next frames */
      if (g_hash_table_size (sw->macs) >= MAC_TABLE_MAX)
        g_hash_table_remove_all (sw->macs);
      entry = g_new0 (MacEntry, 1);
      entry->mac = key;
      g_hash_table_insert (sw->macs, &entry->mac, entry);
    }
  entry->port = port;
  entry->seen_us = now;
}

static Port *
lookup (Switch       *sw,
        const guint8 *mac,
        gint64        now)
{
  guint64 key = mac_key (mac);
  MacEntry *entry = g_hash_table_lookup (sw->macs, &key);

  return entry != NULL && now - entry->seen_us < MAC_AGE_US ? entry->port : NULL;
}

static Frame *
frame_new (const guint8 *data,
           gsize         len)
{
  Frame *frame = g_malloc (sizeof (Frame) + len);

  frame->next = NULL;
  frame->due_us = 0;
  frame->len = len;
  memcpy (frame->data, data, len);
  return frame;
}

static void
transmit (Port  *port,
          Frame *frame)
{
  /* through the port's qdisc, like anything the kernel sends there: a tbf
   * on it caps what reaches the host. A full tbf queue refuses the frame
   * (ENOBUFS), as a full queue drops one on a real link. */
  if (send (port->fd, frame->data, frame->len, MSG_DONTWAIT) < 0)
    port->send_errors++;
  g_free (frame);
}

/* @frame arrived at the switch from @from (its uplink is behind it). */
static void
forward (Switch *sw,
         Port   *from,
         Frame  *frame,
         gint64  now)
{
  const guint8 *destination = frame->data;
  const guint8 *source = frame->data + ETH_ALEN;
  Port *to = NULL;
  Port *last = NULL;

  /* a group address is no station's: nothing to learn from it */
  if ((source[0] & 1) == 0)
    learn (sw, source, from, now);
  if ((destination[0] & 1) == 0)
    to = lookup (sw, destination, now);
  if (to == from)
    {
      /* the destination is on the segment it came from */
      g_free (frame);
      return;
    }
  if (to != NULL)
    {
      direction_offer (sw, to, &to->down, frame, now);
      return;
    }
  /* broadcast, multicast or not learned yet: every other port, each copy
   * with its own loss and delay */
  for (guint i = 0; i < sw->n_ports; i++)
    {
      Port *port = &sw->ports[i];

      if (port == from)
        continue;
      if (last != NULL)
        direction_offer (sw, last, &last->down, frame_new (frame->data, frame->len), now);
      last = port;
    }
  if (last != NULL)
    direction_offer (sw, last, &last->down, frame, now);
  else
    g_free (frame);
}

/* @frame leaves @dir: up to the switch, or down to the host. */
static void
pass (Switch    *sw,
      Port      *port,
      Direction *dir,
      Frame     *frame,
      gint64     now)
{
  if (dir == &port->up)
    forward (sw, port, frame, now);
  else
    transmit (port, frame);
}

/* @frame enters @dir at @now: lost, passed on, or held back until due. */
static void
direction_offer (Switch    *sw,
                 Port      *port,
                 Direction *dir,
                 Frame     *frame,
                 gint64     now)
{
  const Impairment *impairment = &dir->impairment;
  gint64 due;

  dir->frames++;
  if (impairment->blackout ||
      (impairment->loss_percent > 0 && g_rand_double (dir->rand) * 100.0 < impairment->loss_percent))
    {
      dir->dropped++;
      g_free (frame);
      return;
    }
  due = now + (gint64) impairment->delay_ms * 1000;
  if (impairment->jitter_ms > 0)
    {
      gint32 jitter_us = (gint32) impairment->jitter_ms * 1000;

      due += g_rand_int_range (dir->rand, -jitter_us, jitter_us + 1);
    }
  /* never before a frame that entered earlier: a jitter that reorders
   * would be a different impairment, and a rare one on real links. One
   * drawn to overtake leaves just after the one ahead instead, so frames
   * closer together than the jitter get delays that lean to its top. */
  if (dir->tail != NULL)
    due = MAX (due, dir->tail->due_us);
  if (dir->head == NULL && due <= now)
    {
      pass (sw, port, dir, frame, now);
      return;
    }
  if (dir->queued_bytes + frame->len > QUEUE_BYTES_MAX)
    {
      dir->overflow++;
      g_free (frame);
      return;
    }
  frame->due_us = due;
  if (dir->tail != NULL)
    dir->tail->next = frame;
  else
    dir->head = frame;
  dir->tail = frame;
  dir->queued++;
  dir->queued_bytes += frame->len;
}

static Frame *
direction_pop (Direction *dir)
{
  Frame *frame = dir->head;

  dir->head = frame->next;
  if (dir->head == NULL)
    dir->tail = NULL;
  frame->next = NULL;
  dir->queued--;
  dir->queued_bytes -= frame->len;
  return frame;
}

static void
release_due (Switch *sw,
             gint64  now)
{
  /* the uplinks first: what they release may be due on a downlink at once,
   * and the second loop sends it */
  for (guint i = 0; i < sw->n_ports; i++)
    {
      Port *port = &sw->ports[i];

      while (port->up.head != NULL && port->up.head->due_us <= now)
        forward (sw, port, direction_pop (&port->up), now);
    }
  for (guint i = 0; i < sw->n_ports; i++)
    {
      Port *port = &sw->ports[i];

      while (port->down.head != NULL && port->down.head->due_us <= now)
        transmit (port, direction_pop (&port->down));
    }
}

/* The earliest due time of a held frame, or -1. */
static gint64
next_due (Switch *sw)
{
  gint64 next = -1;

  for (guint i = 0; i < sw->n_ports; i++)
    {
      const Frame *heads[] = { sw->ports[i].up.head, sw->ports[i].down.head };

      for (guint h = 0; h < G_N_ELEMENTS (heads); h++)
        if (heads[h] != NULL && (next < 0 || heads[h]->due_us < next))
          next = heads[h]->due_us;
    }
  return next;
}

static void
read_port (Switch *sw,
           Port   *port)
{
  for (guint n = 0; n < READ_BATCH; n++)
    {
      struct sockaddr_ll from;
      socklen_t from_len = sizeof from;
      ssize_t len;

      /* MSG_TRUNC: the frame's real length, even when it did not fit */
      len = recvfrom (port->fd, sw->buffer, FRAME_MAX, MSG_DONTWAIT | MSG_TRUNC,
                      (struct sockaddr *) &from, &from_len);
      if (len < 0)
        {
          if (errno == EINTR)
            continue;
          return;  /* EAGAIN: all read; anything else (the port went down) as good */
        }
      if (from.sll_pkttype == PACKET_OUTGOING)
        continue;
      if (len < ETH_HLEN || len > FRAME_MAX)
        {
          port->bad++;
          continue;
        }
      direction_offer (sw, port, &port->up, frame_new (sw->buffer, (gsize) len), now_us ());
    }
}

/* Commands */

static Port *
find_port (Switch     *sw,
           const char *name)
{
  for (guint i = 0; i < sw->n_ports; i++)
    if (g_str_equal (sw->ports[i].name, name))
      return &sw->ports[i];
  return NULL;
}

static gboolean
parse_setting (Impairment  *impairment,
               const char  *word,
               GError     **error)
{
  const char *equals = strchr (word, '=');
  g_autofree char *key = NULL;
  const char *value;
  guint64 number;

  if (equals == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: not KEY=VALUE", word);
      return FALSE;
    }
  key = g_strndup (word, (gsize) (equals - word));
  value = equals + 1;
  if (g_str_equal (key, "loss"))
    {
      char *end = NULL;
      double loss = g_ascii_strtod (value, &end);

      if (end == value || *end != '\0' || !isfinite (loss) || loss < 0 || loss > 100)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "loss=%s: not a percentage", value);
          return FALSE;
        }
      impairment->loss_percent = loss;
      return TRUE;
    }
  if (g_str_equal (key, "delay") || g_str_equal (key, "jitter"))
    {
      if (!g_ascii_string_to_unsigned (value, 10, 0, DELAY_MAX_MS, &number, error))
        {
          g_prefix_error (error, "%s: ", key);
          return FALSE;
        }
      if (g_str_equal (key, "delay"))
        impairment->delay_ms = (guint) number;
      else
        impairment->jitter_ms = (guint) number;
      return TRUE;
    }
  if (g_str_equal (key, "blackout"))
    {
      if (!g_ascii_string_to_unsigned (value, 10, 0, 1, &number, error))
        {
          g_prefix_error (error, "blackout: ");
          return FALSE;
        }
      impairment->blackout = number != 0;
      return TRUE;
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "unknown setting %s", key);
  return FALSE;
}

static void
command_set (Switch  *sw,
             char   **words,
             guint    n_words)
{
  g_autoptr(GError) error = NULL;
  Impairment impairment;
  Direction *dir;
  Port *port;

  if (n_words < 3)
    {
      emit_error ("usage: set PORT up|down [loss=PERCENT] [delay=MS] [jitter=MS] [blackout=0|1]");
      return;
    }
  port = find_port (sw, words[1]);
  if (port == NULL)
    {
      g_autofree char *message = g_strdup_printf ("no port %s", words[1]);

      emit_error (message);
      return;
    }
  if (g_str_equal (words[2], "up"))
    dir = &port->up;
  else if (g_str_equal (words[2], "down"))
    dir = &port->down;
  else
    {
      g_autofree char *message = g_strdup_printf ("%s: neither up nor down", words[2]);

      emit_error (message);
      return;
    }
  /* all or nothing: a bad setting leaves the others unchanged too */
  impairment = dir->impairment;
  for (guint i = 3; i < n_words; i++)
    if (!parse_setting (&impairment, words[i], &error))
      {
        emit_error (error->message);
        return;
      }
  dir->impairment = impairment;
  emit ("ok", NULL);
}

static void
append_direction (GString         *json,
                  const Direction *dir)
{
  char loss[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (json, "{\"loss\":%s,\"delay\":%u,\"jitter\":%u,\"blackout\":%s,"
                          "\"frames\":%" G_GUINT64_FORMAT ",\"dropped\":%" G_GUINT64_FORMAT
                          ",\"overflow\":%" G_GUINT64_FORMAT ",\"queued\":%u",
                          g_ascii_dtostr (loss, sizeof loss, dir->impairment.loss_percent),
                          dir->impairment.delay_ms, dir->impairment.jitter_ms,
                          dir->impairment.blackout ? "true" : "false",
                          dir->frames, dir->dropped, dir->overflow, dir->queued);
}

static void
command_stats (Switch *sw)
{
  g_autoptr(GString) json = g_string_new (NULL);
  struct rusage usage;
  gint64 cpu_ms = -1;

  if (getrusage (RUSAGE_SELF, &usage) == 0)
    cpu_ms = ((gint64) usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000 +
             (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000;
  g_string_append_printf (json, "\"cpu_ms\":%" G_GINT64_FORMAT ",\"ports\":[", cpu_ms);
  for (guint i = 0; i < sw->n_ports; i++)
    {
      Port *port = &sw->ports[i];
      g_autofree char *name = json_string (port->name);
      struct tpacket_stats counts = { 0 };
      socklen_t counts_len = sizeof counts;

      /* reading the counters resets them */
      if (getsockopt (port->fd, SOL_PACKET, PACKET_STATISTICS, &counts, &counts_len) == 0)
        port->kernel_drops += counts.tp_drops;
      g_string_append_printf (json, "%s{\"port\":%s,\"up\":", i > 0 ? "," : "", name);
      append_direction (json, &port->up);
      g_string_append_printf (json, ",\"bad\":%" G_GUINT64_FORMAT ",\"kernel_drops\":%" G_GUINT64_FORMAT
                              "},\"down\":", port->bad, port->kernel_drops);
      append_direction (json, &port->down);
      g_string_append_printf (json, ",\"send_errors\":%" G_GUINT64_FORMAT "}}", port->send_errors);
    }
  g_string_append_c (json, ']');
  emit ("stats", json->str);
}

static void
handle_command (Switch *sw,
                char   *line)
{
  g_auto(GStrv) split = g_strsplit_set (g_strstrip (line), " \t", -1);
  g_autoptr(GPtrArray) words = g_ptr_array_new ();

  for (guint i = 0; split[i] != NULL; i++)
    if (*split[i] != '\0')
      g_ptr_array_add (words, split[i]);
  if (words->len == 0)
    return;
  g_ptr_array_add (words, NULL);
  if (g_str_equal (words->pdata[0], "set"))
    command_set (sw, (char **) words->pdata, words->len - 1);
  else if (g_str_equal (words->pdata[0], "stats") && words->len == 2)
    command_stats (sw);
  else
    {
      g_autofree char *message = g_strdup_printf ("unknown command: %s", line);

      emit_error (message);
    }
}

/* Reads what stdin has; FALSE once it closed. */
static gboolean
read_commands (Switch *sw)
{
  char chunk[4096];
  ssize_t len = read (STDIN_FILENO, chunk, sizeof chunk);
  char *newline;

  if (len < 0)
    return errno == EINTR || errno == EAGAIN;
  if (len == 0)
    return FALSE;
  g_string_append_len (sw->input, chunk, len);
  while ((newline = memchr (sw->input->str, '\n', sw->input->len)) != NULL)
    {
      gsize line_len = (gsize) (newline - sw->input->str);

      *newline = '\0';
      if (!sw->skipping)
        handle_command (sw, sw->input->str);
      sw->skipping = FALSE;
      g_string_erase (sw->input, 0, (gssize) line_len + 1);
    }
  if (sw->input->len > LINE_MAX_LEN)
    {
      /* answered now, once: the rest of it is ignored up to its end */
      if (!sw->skipping)
        emit_error ("line too long");
      sw->skipping = TRUE;
      g_string_truncate (sw->input, 0);
    }
  return TRUE;
}

/* Main loop */

static void
direction_clear (Direction *dir)
{
  while (dir->head != NULL)
    g_free (direction_pop (dir));
  g_clear_pointer (&dir->rand, g_rand_free);
}

static void
switch_free (Switch *sw)
{
  for (guint i = 0; i < sw->n_ports; i++)
    {
      Port *port = &sw->ports[i];

      direction_clear (&port->up);
      direction_clear (&port->down);
      if (port->fd >= 0)
        close (port->fd);
      g_free (port->name);
    }
  g_free (sw->ports);
  g_hash_table_unref (sw->macs);
  g_free (sw->buffer);
  g_string_free (sw->input, TRUE);
}

static int
run_switch (Switch *sw)
{
  g_autofree struct pollfd *fds = g_new0 (struct pollfd, sw->n_ports + 1);

  fds[0].fd = STDIN_FILENO;
  fds[0].events = POLLIN;
  for (guint i = 0; i < sw->n_ports; i++)
    {
      fds[i + 1].fd = sw->ports[i].fd;
      fds[i + 1].events = POLLIN;
    }
  emit ("ready", NULL);

  for (;;)
    {
      gint64 due = next_due (sw);
      struct timespec timeout;
      int n;

      if (due >= 0)
        {
          /* the clock read once: MAX (0, due - now_us ()) reads it twice,
           * and the second reading can make the wait negative (EINVAL) */
          gint64 wait_us = due - now_us ();

          wait_us = MAX (wait_us, 0);
          /* to the microsecond: a poll() timeout in ms would add up to one
           * to every delay */
          timeout.tv_sec = wait_us / G_USEC_PER_SEC;
          timeout.tv_nsec = (wait_us % G_USEC_PER_SEC) * 1000;
        }
      n = ppoll (fds, sw->n_ports + 1, due >= 0 ? &timeout : NULL, NULL);
      if (n < 0 && errno != EINTR)
        {
          g_printerr ("lattice-netem: poll: %s\n", g_strerror (errno));
          return 1;
        }
      release_due (sw, now_us ());
      if (n <= 0)
        continue;
      for (guint i = 0; i < sw->n_ports; i++)
        if (fds[i + 1].revents != 0)
          {
            if (fds[i + 1].revents & POLLERR)
              {
                /* a pending socket error (the port went down): read it to
                 * clear it, or poll() reports it again at once */
                int pending = 0;
                socklen_t pending_len = sizeof pending;

                (void) getsockopt (sw->ports[i].fd, SOL_SOCKET, SO_ERROR, &pending, &pending_len);
              }
            read_port (sw, &sw->ports[i]);
          }
      if (fds[0].revents != 0 && !read_commands (sw))
        return 0;
    }
}

int
main (int   argc,
      char *argv[])
{
  gint64 seed = 1;
  gboolean no_offload = FALSE;
  g_auto(GStrv) names = NULL;
  const GOptionEntry entries[] = {
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the random losses and delays (1)", "N" },
    { "no-offload", 0, 0, G_OPTION_ARG_NONE, &no_offload,
      "Only make the interfaces named send full frames with full checksums", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &names, NULL, "PORT…" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- a switch that impairs what it forwards");
  g_autoptr(GError) error = NULL;
  Switch sw = { 0 };
  int status;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || names == NULL)
    {
      g_printerr ("lattice-netem: %s\n", error != NULL ? error->message : "no port named");
      return 2;
    }

  if (no_offload)
    {
      for (guint i = 0; names[i] != NULL; i++)
        if (!make_wire_like (names[i], &error))
          {
            g_printerr ("lattice-netem: %s\n", error->message);
            return 1;
          }
      return 0;
    }

  sw.n_ports = g_strv_length (names);
  sw.ports = g_new0 (Port, sw.n_ports);
  sw.macs = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_free);
  sw.buffer = g_malloc (FRAME_MAX);
  sw.input = g_string_new (NULL);
  for (guint i = 0; i < sw.n_ports; i++)
    {
      Port *port = &sw.ports[i];

      port->name = g_strdup (names[i]);
      port->fd = -1;
      for (guint d = 0; d < 2; d++)
        {
          guint32 seeds[] = { (guint32) seed, (guint32) ((guint64) seed >> 32), i, d };

          (d == 0 ? &port->up : &port->down)->rand = g_rand_new_with_seed_array (seeds, G_N_ELEMENTS (seeds));
        }
    }
  for (guint i = 0; i < sw.n_ports; i++)
    if (find_port (&sw, names[i]) != &sw.ports[i] || !port_open (&sw.ports[i], &error))
      {
        g_autofree char *message = error != NULL ? g_strdup (error->message)
                                                 : g_strdup_printf ("port %s named twice", names[i]);

        emit_error (message);
        g_printerr ("lattice-netem: %s\n", message);
        switch_free (&sw);
        return 1;
      }

  status = run_switch (&sw);
  switch_free (&sw);
  return status;
}
