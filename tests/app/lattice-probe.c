/* lattice-probe.c: timestamped UDP datagrams to measure an emulated network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The test machines have no ping, and ping would say little about loss,
 * one-way delay or order anyway. All network namespaces share
 * CLOCK_MONOTONIC, so a datagram that carries its send time tells its
 * receiver its one-way delay.
 *
 *   lattice-probe --recv PORT
 *       Listens on UDP PORT; prints {"event":"ready"}, then on each "report"
 *       line on stdin {"event":"report",…} about what it received since the
 *       previous report. Exits when stdin closes.
 *   lattice-probe --send ADDRESS:PORT [--count N] [--interval-us US] [--size BYTES]
 *       Sends N datagrams of BYTES, one every US, prints {"event":"sent",…}
 *       and exits.
 *   lattice-probe --odd-frames IFNAME
 *       Writes frames no IP stack would send on IFNAME (header only,
 *       made-up addresses, not IP, over the MTU, random bytes) for a
 *       switch to survive; prints {"event":"sent",…} and exits.
 */
#include "config.h"

#include <errno.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#define MAGIC        0x4c545042u  /* "LTPB" */
#define SEQ_MAX      (1u << 24)   /* beyond that a datagram is not one of ours */
#define ODD_ETHERTYPE 0x88b5      /* IEEE 802 local experimental */

/* The head of every datagram; the rest is padding up to --size. */
typedef struct {
  guint32 magic;
  guint32 seq;
  gint64  sent_ns;  /* CLOCK_MONOTONIC */
} Header;

static gint64
monotonic_ns (void)
{
  struct timespec now;

  clock_gettime (CLOCK_MONOTONIC, &now);
  return (gint64) now.tv_sec * G_GINT64_CONSTANT (1000000000) + now.tv_nsec;
}

static void
emit (const char *event,
      const char *members)
{
  printf ("{\"event\":\"%s\",\"t\":%" G_GINT64_FORMAT "%s%s}\n", event,
          monotonic_ns () / 1000000, members != NULL ? "," : "", members != NULL ? members : "");
  fflush (stdout);
}

/* Receiving */

typedef struct {
  GByteArray *seen;        /* by sequence number: 1 once received */
  GArray     *delays_us;   /* gint64, in arrival order */
  guint64     received;    /* distinct datagrams */
  guint64     duplicates;
  guint64     reordered;   /* arrived after one sent later */
  guint64     bytes;       /* of the distinct ones' payload */
  guint64     foreign;     /* not ours */
  gint64      max_seq;     /* -1: none yet */
  gint64      first_us;
  gint64      last_us;
} Receiver;

static void
receiver_reset (Receiver *self)
{
  g_byte_array_set_size (self->seen, 0);
  g_array_set_size (self->delays_us, 0);
  self->received = self->duplicates = self->reordered = self->bytes = self->foreign = 0;
  self->max_seq = -1;
  self->first_us = self->last_us = -1;
}

static void
receiver_take (Receiver     *self,
               const guint8 *data,
               gsize         len,
               gint64        arrived_ns)
{
  Header header;
  gint64 delay_us;

  if (len < sizeof header)
    {
      self->foreign++;
      return;
    }
  memcpy (&header, data, sizeof header);
  if (header.magic != MAGIC || header.seq >= SEQ_MAX)
    {
      self->foreign++;
      return;
    }
  if (header.seq >= self->seen->len)
    {
      guint old_len = self->seen->len;

      g_byte_array_set_size (self->seen, header.seq + 1);
      memset (self->seen->data + old_len, 0, self->seen->len - old_len);
    }
  if (self->seen->data[header.seq])
    {
      self->duplicates++;
      return;
    }
  self->seen->data[header.seq] = 1;
  self->received++;
  self->bytes += len;
  if ((gint64) header.seq < self->max_seq)
    self->reordered++;
  self->max_seq = MAX (self->max_seq, (gint64) header.seq);
  delay_us = (arrived_ns - header.sent_ns) / 1000;
  g_array_append_val (self->delays_us, delay_us);
  if (self->first_us < 0)
    self->first_us = arrived_ns / 1000;
  self->last_us = arrived_ns / 1000;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static gint64
percentile (GArray *sorted,
            guint   percent)
{
  if (sorted->len == 0)
    return -1;
  return g_array_index (sorted, gint64, MIN (sorted->len - 1, (guint64) sorted->len * percent / 100));
}

static void
receiver_report (Receiver *self)
{
  g_autoptr(GArray) sorted = g_array_copy (self->delays_us);
  g_autofree char *members = NULL;

  g_array_sort (sorted, compare_gint64);
  members = g_strdup_printf ("\"received\":%" G_GUINT64_FORMAT ",\"duplicates\":%" G_GUINT64_FORMAT
                             ",\"reordered\":%" G_GUINT64_FORMAT ",\"foreign\":%" G_GUINT64_FORMAT
                             ",\"bytes\":%" G_GUINT64_FORMAT ",\"max_seq\":%" G_GINT64_FORMAT
                             ",\"first_us\":%" G_GINT64_FORMAT ",\"last_us\":%" G_GINT64_FORMAT
                             ",\"min_us\":%" G_GINT64_FORMAT ",\"p50_us\":%" G_GINT64_FORMAT
                             ",\"p99_us\":%" G_GINT64_FORMAT ",\"max_us\":%" G_GINT64_FORMAT,
                             self->received, self->duplicates, self->reordered, self->foreign,
                             self->bytes, self->max_seq, self->first_us, self->last_us,
                             percentile (sorted, 0), percentile (sorted, 50), percentile (sorted, 99),
                             percentile (sorted, 100));
  emit ("report", members);
}

static int
run_receiver (guint port)
{
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons ((guint16) port),
                                 .sin_addr.s_addr = htonl (INADDR_ANY) };
  int buffer_size = 4 * 1024 * 1024;
  g_autofree guint8 *datagram = g_malloc (65536);
  g_autoptr(GString) input = g_string_new (NULL);
  Receiver self = { g_byte_array_new (), g_array_new (FALSE, FALSE, sizeof (gint64)) };
  struct pollfd fds[2];
  int fd, status = 0;

  receiver_reset (&self);
  fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind (fd, (struct sockaddr *) &address, sizeof address) < 0)
    {
      g_printerr ("lattice-probe: UDP port %u: %s\n", port, g_strerror (errno));
      status = 1;
      goto out;
    }
  /* a blast must not be lost here rather than on the network */
  if (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer_size, sizeof buffer_size) < 0)
    (void) setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &buffer_size, sizeof buffer_size);
  emit ("ready", NULL);

  fds[0] = (struct pollfd) { .fd = STDIN_FILENO, .events = POLLIN };
  fds[1] = (struct pollfd) { .fd = fd, .events = POLLIN };
  for (;;)
    {
      if (poll (fds, G_N_ELEMENTS (fds), -1) < 0)
        {
          if (errno == EINTR)
            continue;
          status = 1;
          break;
        }
      if (fds[1].revents != 0)
        {
          ssize_t len;

          /* the arrival time taken at once, before anything else */
          while ((len = recv (fd, datagram, 65536, MSG_DONTWAIT)) >= 0)
            receiver_take (&self, datagram, (gsize) len, monotonic_ns ());
        }
      if (fds[0].revents != 0)
        {
          char chunk[256];
          ssize_t len = read (STDIN_FILENO, chunk, sizeof chunk);
          char *newline;

          if (len <= 0)
            break;  /* stdin closed: the test is done with it */
          g_string_append_len (input, chunk, len);
          while ((newline = strchr (input->str, '\n')) != NULL)
            {
              *newline = '\0';
              if (g_str_equal (g_strstrip (input->str), "report"))
                {
                  receiver_report (&self);
                  receiver_reset (&self);
                }
              g_string_erase (input, 0, newline - input->str + 1);
            }
        }
    }

out:
  if (fd >= 0)
    close (fd);
  g_byte_array_unref (self.seen);
  g_array_unref (self.delays_us);
  return status;
}

/* Sending */

static int
run_sender (const char *to,
            guint       count,
            guint       interval_us,
            guint       size)
{
  g_autofree char *host = NULL;
  const char *colon = strrchr (to, ':');
  struct sockaddr_in address = { .sin_family = AF_INET };
  g_autofree guint8 *datagram = NULL;
  g_autofree char *members = NULL;
  guint64 port;
  guint sent = 0, errors = 0;
  gint64 start_ns, first_ns = -1, last_ns = -1;
  int fd;

  if (colon == NULL || !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL) ||
      (host = g_strndup (to, (gsize) (colon - to)), inet_pton (AF_INET, host, &address.sin_addr) != 1))
    {
      g_printerr ("lattice-probe: %s: not IPV4:PORT\n", to);
      return 2;
    }
  address.sin_port = htons ((guint16) port);
  size = MAX (size, (guint) sizeof (Header));
  datagram = g_malloc0 (size);
  fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      g_printerr ("lattice-probe: socket: %s\n", g_strerror (errno));
      return 1;
    }

  start_ns = monotonic_ns ();
  for (guint i = 0; i < count; i++)
    {
      gint64 at_ns = start_ns + (gint64) i * interval_us * 1000;
      struct timespec at = { at_ns / 1000000000, at_ns % 1000000000 };
      Header header = { MAGIC, i, 0 };

      /* at fixed times from the start, so a late wake-up does not slow
       * the whole run */
      while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
        ;
      header.sent_ns = monotonic_ns ();
      memcpy (datagram, &header, sizeof header);
      /* not connected: an ICMP error for one datagram must not fail the
       * next send */
      if (sendto (fd, datagram, size, 0, (struct sockaddr *) &address, sizeof address) < 0)
        {
          errors++;
          continue;
        }
      sent++;
      if (first_ns < 0)
        first_ns = header.sent_ns;
      last_ns = header.sent_ns;
    }
  close (fd);
  members = g_strdup_printf ("\"count\":%u,\"errors\":%u,\"size\":%u,\"first_us\":%" G_GINT64_FORMAT
                             ",\"last_us\":%" G_GINT64_FORMAT,
                             sent, errors, size, first_ns / 1000, last_ns / 1000);
  emit ("sent", members);
  return 0;
}

/* Odd frames */

static void
put_header (guint8       *frame,
            const guint8 *destination,
            const guint8 *source,
            guint16       type)
{
  memcpy (frame, destination, ETH_ALEN);
  memcpy (frame + ETH_ALEN, source, ETH_ALEN);
  frame[12] = type >> 8;
  frame[13] = type & 0xff;
}

static int
run_odd_frames (const char *ifname)
{
  static const guint8 broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
  static const guint8 nobody[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
  static const guint8 group[ETH_ALEN] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
  struct sockaddr_ll address = { .sll_family = AF_PACKET, .sll_halen = ETH_ALEN };
  struct ifreq request = { 0 };
  g_autofree guint8 *frame = g_malloc0 (65536 + ETH_HLEN);
  g_autofree char *members = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  guint8 own[ETH_ALEN];
  guint sent = 0, errors = 0;
  int fd;

  address.sll_ifindex = (int) if_nametoindex (ifname);
  fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  g_strlcpy (request.ifr_name, ifname, sizeof request.ifr_name);
  if (address.sll_ifindex == 0 || fd < 0 || ioctl (fd, SIOCGIFHWADDR, &request) < 0)
    {
      g_printerr ("lattice-probe: %s: %s\n", ifname, g_strerror (errno));
      if (fd >= 0)
        close (fd);
      return 1;
    }
  memcpy (own, request.ifr_hwaddr.sa_data, ETH_ALEN);

#define SEND(len) \
  G_STMT_START { \
    if (sendto (fd, frame, (len), 0, (struct sockaddr *) &address, sizeof address) < 0) \
      errors++; \
    else \
      sent++; \
  } G_STMT_END

  /* a header and nothing else, a runt */
  put_header (frame, broadcast, own, ODD_ETHERTYPE);
  SEND (ETH_HLEN);
  /* not IP, to nobody known: flooded */
  put_header (frame, nobody, own, ODD_ETHERTYPE);
  SEND (60);
  /* a group address as the source, which no switch may learn */
  put_header (frame, nobody, group, ODD_ETHERTYPE);
  SEND (60);
  /* to itself: a switch keeps it on its segment */
  put_header (frame, own, own, ODD_ETHERTYPE);
  SEND (60);
  /* IPv4 by its type, cut short of an IP header */
  put_header (frame, broadcast, own, ETHERTYPE_IP);
  SEND (ETH_HLEN + 4);
  /* a VLAN tag */
  put_header (frame, broadcast, own, ETHERTYPE_VLAN);
  frame[14] = 0x00;
  frame[15] = 0x07;
  frame[16] = ODD_ETHERTYPE >> 8;
  frame[17] = ODD_ETHERTYPE & 0xff;
  SEND (64);
  /* jumbo frames: the sender's MTU allows them only if the test raised it;
   * one fits the switch's buffer, one does not */
  put_header (frame, broadcast, own, ODD_ETHERTYPE);
  SEND (9000 + ETH_HLEN);
  SEND (65535 + ETH_HLEN);
  /* random bytes of random lengths, from random sources to random
   * destinations (the source's group bit cleared every other time, so that
   * the switch learns plenty of them) */
  for (guint i = 0; i < 1000; i++)
    {
      gsize len = (gsize) g_rand_int_range (rand, ETH_HLEN, 1500 + ETH_HLEN + 1);

      for (gsize b = 0; b < len; b++)
        frame[b] = (guint8) g_rand_int_range (rand, 0, 256);
      if (i % 2 == 0)
        frame[ETH_ALEN] &= 0xfe;
      SEND (len);
    }
#undef SEND

  close (fd);
  members = g_strdup_printf ("\"count\":%u,\"errors\":%u", sent, errors);
  emit ("sent", members);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  gint recv_port = 0;
  g_autofree char *send_to = NULL;
  g_autofree char *odd_frames = NULL;
  gint count = 1000, interval_us = 1000, size = 100;
  const GOptionEntry entries[] = {
    { "recv", 0, 0, G_OPTION_ARG_INT, &recv_port, "Receive on this UDP port", "PORT" },
    { "send", 0, 0, G_OPTION_ARG_STRING, &send_to, "Send to this address", "IPV4:PORT" },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, "Datagrams to send (1000)", "N" },
    { "interval-us", 0, 0, G_OPTION_ARG_INT, &interval_us, "Between two datagrams (1000)", "US" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "Bytes of UDP payload (100)", "BYTES" },
    { "odd-frames", 0, 0, G_OPTION_ARG_STRING, &odd_frames, "Write odd frames on this interface", "IFNAME" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- measure an emulated network");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("lattice-probe: %s\n", error->message);
      return 2;
    }
  if (recv_port > 0 && recv_port < 65536)
    return run_receiver ((guint) recv_port);
  if (send_to != NULL && count >= 0 && interval_us >= 0 && size >= 0 && size <= 65000)
    return run_sender (send_to, (guint) count, (guint) interval_us, (guint) size);
  if (odd_frames != NULL)
    return run_odd_frames (odd_frames);
  g_printerr ("lattice-probe: one of --recv, --send or --odd-frames, with sane values\n");
  return 2;
}
