/* lattice-load.c: signaling load on one lattice-server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Starts lattice-server on 127.0.0.1, connects many websocket clients in
 * rooms of a few, and has each relay offer- and candidate-sized messages
 * (1–4 KiB) to the others of its room at a steady rate. Every message
 * carries its sender, receiver, sequence number and send time, so the
 * receiver checks that nothing was lost, reordered or misdelivered, and
 * measures the relay latency. Reports the server's CPU and memory from
 * /proc. A benchmark (prints figures), not a test.
 */
#define G_LOG_DOMAIN "LatticeLoad"

#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "lattice-protocol.h"

#ifndef LATTICE_SERVER_PATH
#define LATTICE_SERVER_PATH "lattice-server"
#endif

#define CONNECTS_IN_FLIGHT 50
#define TICK_MS            10
#define DRAIN_S            10
#define JOIN_WAIT_S        120

typedef struct _Load Load;

typedef struct {
  Load                    *load;
  guint                    index;
  guint                    room;
  SoupWebsocketConnection *conn;
  char                    *id;
  gboolean                 joined;
  gboolean                 closed;
  guint64                 *sent_to;        /* per member of its room: next seq */
  guint64                 *received_from;  /* per member: next seq expected */
} Client;

struct _Load {
  /* options */
  char    *server_path;
  guint    n_clients;
  guint    room_size;
  double   duration_s;
  double   rate;            /* messages per second per client */
  char    *output;

  GSubprocess *server;
  guint        port;
  char        *uri;
  SoupSession *session;
  Client      *clients;
  GHashTable  *by_id;       /* id → Client * */
  guint        next_connect;
  guint        connecting;
  guint        n_joined;
  guint        join_errors;
  guint        closed;

  gboolean     sending;
  double       send_credit;
  gint64       last_tick;
  guint        next_sender;
  guint64      sent;
  guint64      received;
  guint64      misdelivered;  /* wrong receiver, unknown sender, or bad content */
  guint64      out_of_order;
  guint64      errors;        /* error messages from the server */
  GArray      *latencies;     /* guint32 µs */
  GRand       *rand;
};

/* --- /proc ---------------------------------------------------------------- */

static double
proc_cpu_seconds (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *text = NULL;
  unsigned long utime = 0, stime = 0;
  const char *after;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (after = strrchr (text, ')')) == NULL)
    return 0;
  /* Fields 14 and 15 (utime, stime) counted after the ") " that ends field 2. */
  if (sscanf (after + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
    return 0;
  return (double) (utime + stime) / sysconf (_SC_CLK_TCK);
}

static guint64
proc_status_kib (GPid        pid,
                 const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (line = strstr (text, field)) == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen (field) + 1, NULL, 10);
}

static double
read_loadavg (void)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return 0;
  return g_ascii_strtod (text, NULL);
}

static void
raise_fd_limit (guint needed)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < needed)
    g_printerr ("lattice-load: only %lu file descriptors allowed, %u wanted\n",
                (unsigned long) limit.rlim_cur, needed);
}

/* --- Server ----------------------------------------------------------------- */

static gboolean
start_server (Load    *load,
              GError **error)
{
  g_autofree char *max_connections = g_strdup_printf ("%u", load->n_clients * 2);
  g_autofree char *room_size = g_strdup_printf ("%u", load->room_size);
  const char *argv[] = {
    load->server_path, "--host", "127.0.0.1", "--port", "0",
    "--max-connections-per-address", max_connections, "--max-room-size", room_size, NULL
  };
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  const char *port;

  load->server = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                          G_SUBPROCESS_FLAGS_STDERR_SILENCE, error);
  if (load->server == NULL)
    return FALSE;

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (load->server));
  line = g_data_input_stream_read_line (out, NULL, NULL, error);
  if (line == NULL || (port = strrchr (line, ':')) == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "lattice-server did not start");
      return FALSE;
    }

  load->port = (guint) g_ascii_strtoull (port + 1, NULL, 10);
  load->uri = g_strdup_printf ("ws://127.0.0.1:%u/ws", load->port);
  return load->port > 0;
}

/* --- Clients ---------------------------------------------------------------- */

static Client *
room_member (Load  *load,
             guint  room,
             guint  k)
{
  return &load->clients[room * load->room_size + k];
}

static guint
room_members (Load  *load,
              guint  room)
{
  return MIN (load->room_size, load->n_clients - room * load->room_size);
}

static void
client_send_text (Client     *client,
                  const char *text)
{
  if (!client->closed &&
      soup_websocket_connection_get_state (client->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (client->conn, text);
}

/* "v=0 load from=F to=T seq=S t=µs pad=xxx…": what the receiver checks. */
static void
client_send_relay (Client *client)
{
  Load *load = client->load;
  guint n = room_members (load, client->room);
  guint k = g_rand_int_range (load->rand, 0, n - 1);
  guint self_k = client->index - client->room * load->room_size;
  Client *target;
  guint64 seq;
  g_autofree char *pad = NULL;
  g_autofree char *body = NULL;
  g_autofree char *json = NULL;
  g_autoptr(LatticeMessage) message = NULL;

  if (k >= self_k)
    k++;  /* anyone but itself */
  target = room_member (load, client->room, k);
  seq = client->sent_to[k]++;
  pad = g_strnfill (g_rand_int_range (load->rand, 1024, 4096), 'x');
  body = g_strdup_printf ("v=0 load from=%u to=%u seq=%" G_GUINT64_FORMAT " t=%" G_GINT64_FORMAT
                          " pad=%s", client->index, target->index, seq, g_get_monotonic_time (), pad);

  message = lattice_message_new (seq % 2 ? LATTICE_MESSAGE_CANDIDATE : LATTICE_MESSAGE_OFFER);
  message->to = g_strdup (target->id);
  if (message->type == LATTICE_MESSAGE_OFFER)
    message->sdp = g_steal_pointer (&body);
  else
    {
      message->candidate = g_steal_pointer (&body);
      message->sdp_mline_index = 0;
    }
  json = lattice_message_to_json (message);
  client_send_text (client, json);
  load->sent++;
}

static void
client_check_relay (Client         *client,
                    LatticeMessage *message)
{
  Load *load = client->load;
  const char *body = message->type == LATTICE_MESSAGE_OFFER ? message->sdp : message->candidate;
  Client *sender = g_hash_table_lookup (load->by_id, message->from);
  guint from, to;
  guint64 seq;
  gint64 t;
  guint32 latency;
  guint k;

  load->received++;
  if (sender == NULL || sender->room != client->room ||
      sscanf (body, "v=0 load from=%u to=%u seq=%" G_GUINT64_FORMAT " t=%" G_GINT64_FORMAT,
              &from, &to, &seq, &t) != 4 ||
      from != sender->index || to != client->index)
    {
      load->misdelivered++;
      return;
    }

  k = sender->index - sender->room * load->room_size;
  if (seq != client->received_from[k])
    load->out_of_order++;
  client->received_from[k] = seq + 1;
  latency = MIN (g_get_monotonic_time () - t, (gint64) G_MAXUINT32);
  g_array_append_val (load->latencies, latency);
}

static void
client_on_joined (Client         *client,
                  LatticeMessage *joined)
{
  Load *load = client->load;

  client->id = g_strdup (joined->id);
  client->joined = TRUE;
  g_hash_table_insert (load->by_id, client->id, client);
  load->n_joined++;
}

static void
on_message (SoupWebsocketConnection *conn,
            gint                     type,
            GBytes                  *bytes,
            gpointer                 user_data)
{
  Client *client = user_data;
  Load *load = client->load;
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);
  g_autoptr(LatticeMessage) message = lattice_message_parse (data, size, LATTICE_ORIGIN_SERVER, NULL);
  g_autofree char *text = NULL;

  if (message == NULL)
    {
      load->misdelivered++;
      return;
    }

  switch (message->type)
    {
    case LATTICE_MESSAGE_WELCOME:
      text = g_strdup_printf ("{\"type\":\"join\",\"room\":\"load-%04u\",\"name\":\"Load %u\"}",
                              client->room, client->index);
      client_send_text (client, text);
      break;
    case LATTICE_MESSAGE_JOINED:
      client_on_joined (client, message);
      break;
    case LATTICE_MESSAGE_PING:
      text = g_strdup_printf ("{\"type\":\"pong\",\"seq\":%" G_GUINT64_FORMAT "}", message->seq);
      client_send_text (client, text);
      break;
    case LATTICE_MESSAGE_OFFER:
    case LATTICE_MESSAGE_CANDIDATE:
      client_check_relay (client, message);
      break;
    case LATTICE_MESSAGE_ERROR:
      load->errors++;
      if (!client->joined)
        load->join_errors++;
      g_printerr ("lattice-load: client %u: %s: %s\n", client->index, message->code, message->message);
      break;
    default:
      break;  /* participant-joined/-left/-state */
    }
}

static void
on_closed (SoupWebsocketConnection *conn,
           gpointer                 user_data)
{
  Client *client = user_data;

  client->closed = TRUE;
  client->load->closed++;
}

static void connect_more (Load *load);

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Client *client = user_data;
  Load *load = client->load;
  g_autoptr(GError) error = NULL;

  load->connecting--;
  client->conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (client->conn == NULL)
    {
      g_printerr ("lattice-load: client %u cannot connect: %s\n", client->index, error->message);
      load->join_errors++;
      client->closed = TRUE;
    }
  else
    {
      soup_websocket_connection_set_max_incoming_payload_size (client->conn, 1024 * 1024);
      g_signal_connect (client->conn, "message", G_CALLBACK (on_message), client);
      g_signal_connect (client->conn, "closed", G_CALLBACK (on_closed), client);
      client_send_text (client, "{\"type\":\"hello\",\"version\":1,\"software\":\"lattice-load\"}");
    }
  connect_more (load);
}

/* A few handshakes at a time, as a crowd arriving. */
static void
connect_more (Load *load)
{
  while (load->connecting < CONNECTS_IN_FLIGHT && load->next_connect < load->n_clients)
    {
      Client *client = &load->clients[load->next_connect++];
      g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, load->uri);

      load->connecting++;
      soup_session_websocket_connect_async (load->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                            NULL, on_connected, client);
    }
}

/* --- Running ---------------------------------------------------------------- */

static gboolean
on_tick (gpointer user_data)
{
  Load *load = user_data;
  gint64 now;

  if (!load->sending)
    return G_SOURCE_REMOVE;

  /* Round robin over the clients, so each sends at the same steady rate;
   * from the clock, as ticks come late under load. */
  now = g_get_monotonic_time ();
  load->send_credit += load->rate * load->n_clients * (now - load->last_tick) / 1e6;
  load->last_tick = now;
  while (load->send_credit >= 1.0)
    {
      Client *client = &load->clients[load->next_sender];

      load->next_sender = (load->next_sender + 1) % load->n_clients;
      load->send_credit -= 1.0;
      if (client->joined && !client->closed && room_members (load, client->room) > 1)
        client_send_relay (client);
    }
  return G_SOURCE_CONTINUE;
}

typedef gboolean (*Condition) (Load *load);

static gboolean
on_deadline (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
run_until (Load      *load,
           Condition  condition,
           double     seconds)
{
  gboolean timed_out = FALSE;
  g_autoptr(GSource) deadline = g_timeout_source_new ((guint) (seconds * 1000));

  g_source_set_callback (deadline, on_deadline, &timed_out, NULL);
  g_source_attach (deadline, NULL);
  while (!(condition != NULL && condition (load)) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (deadline);
  return condition != NULL && condition (load);
}

static gboolean
all_answered (Load *load)
{
  return load->next_connect == load->n_clients && load->connecting == 0 &&
         load->n_joined + load->join_errors >= load->n_clients;
}

static gboolean
all_received (Load *load)
{
  return load->received >= load->sent;
}

static int
compare_u32 (gconstpointer a,
             gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return (x > y) - (x < y);
}

static double
percentile_ms (GArray *sorted,
               double  p)
{
  if (sorted->len == 0)
    return 0;
  return g_array_index (sorted, guint32, MIN (sorted->len - 1, (guint) (p * sorted->len))) / 1000.0;
}

/* --- Report ----------------------------------------------------------------- */

typedef struct {
  double   join_s;
  double   wall_s;
  double   server_cpu_s;
  double   load_cpu_s;
  guint64  rss_kib;
  guint64  peak_rss_kib;
  double   loadavg;       /* the machine's, over the last minute: others' load skews latency */
} Figures;

static double
self_cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static void
print_table (Load    *load,
             Figures *f)
{
  double p50 = percentile_ms (load->latencies, 0.50);
  double p99 = percentile_ms (load->latencies, 0.99);
  double pmax = percentile_ms (load->latencies, 1.0);

  g_print ("\nSignaling load: %u clients in rooms of %u, %.1f msg/s each, %.0f s\n",
           load->n_clients, load->room_size, load->rate, load->duration_s);
  g_print ("  %-28s %u of %u (%.2f s)\n", "joins answered", load->n_joined, load->n_clients, f->join_s);
  g_print ("  %-28s %" G_GUINT64_FORMAT "\n", "messages sent", load->sent);
  g_print ("  %-28s %" G_GUINT64_FORMAT "\n", "messages received", load->received);
  g_print ("  %-28s %" G_GUINT64_FORMAT "\n", "lost", load->sent - MIN (load->sent, load->received));
  g_print ("  %-28s %" G_GUINT64_FORMAT "\n", "misdelivered", load->misdelivered);
  g_print ("  %-28s %" G_GUINT64_FORMAT "\n", "out of order", load->out_of_order);
  g_print ("  %-28s %" G_GUINT64_FORMAT "\n", "errors from the server", load->errors);
  g_print ("  %-28s %.2f / %.2f / %.2f ms\n", "relay latency p50/p99/max", p50, p99, pmax);
  g_print ("  %-28s %.1f %% of a core\n", "server CPU", 100 * f->server_cpu_s / f->wall_s);
  g_print ("  %-28s %.1f MiB (peak %.1f MiB)\n", "server RSS", f->rss_kib / 1024.0,
           f->peak_rss_kib / 1024.0);
  g_print ("  %-28s %.1f %% of a core\n", "this client process CPU", 100 * f->load_cpu_s / f->wall_s);
  g_print ("  %-28s %.2f on %u CPUs\n", "machine load average (1 min)", f->loadavg,
           g_get_num_processors ());
}

static gboolean
write_json (Load     *load,
            Figures  *f,
            GError  **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *dir = g_path_get_dirname (load->output);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "benchmark"); json_builder_add_string_value (b, "signaling-load");
  json_builder_set_member_name (b, "clients"); json_builder_add_int_value (b, load->n_clients);
  json_builder_set_member_name (b, "roomSize"); json_builder_add_int_value (b, load->room_size);
  json_builder_set_member_name (b, "ratePerClient"); json_builder_add_double_value (b, load->rate);
  json_builder_set_member_name (b, "durationS"); json_builder_add_double_value (b, load->duration_s);
  json_builder_set_member_name (b, "joined"); json_builder_add_int_value (b, load->n_joined);
  json_builder_set_member_name (b, "joinS"); json_builder_add_double_value (b, f->join_s);
  json_builder_set_member_name (b, "sent"); json_builder_add_int_value (b, load->sent);
  json_builder_set_member_name (b, "received"); json_builder_add_int_value (b, load->received);
  json_builder_set_member_name (b, "lost"); json_builder_add_int_value (b, load->sent - MIN (load->sent, load->received));
  json_builder_set_member_name (b, "misdelivered"); json_builder_add_int_value (b, load->misdelivered);
  json_builder_set_member_name (b, "outOfOrder"); json_builder_add_int_value (b, load->out_of_order);
  json_builder_set_member_name (b, "errors"); json_builder_add_int_value (b, load->errors);
  json_builder_set_member_name (b, "latencyP50Ms"); json_builder_add_double_value (b, percentile_ms (load->latencies, 0.5));
  json_builder_set_member_name (b, "latencyP99Ms"); json_builder_add_double_value (b, percentile_ms (load->latencies, 0.99));
  json_builder_set_member_name (b, "latencyMaxMs"); json_builder_add_double_value (b, percentile_ms (load->latencies, 1.0));
  json_builder_set_member_name (b, "serverCpuPercent"); json_builder_add_double_value (b, 100 * f->server_cpu_s / f->wall_s);
  json_builder_set_member_name (b, "serverRssKiB"); json_builder_add_int_value (b, f->rss_kib);
  json_builder_set_member_name (b, "serverPeakRssKiB"); json_builder_add_int_value (b, f->peak_rss_kib);
  json_builder_set_member_name (b, "loadCpuPercent"); json_builder_add_double_value (b, 100 * f->load_cpu_s / f->wall_s);
  json_builder_set_member_name (b, "loadAverage"); json_builder_add_double_value (b, f->loadavg);
  json_builder_set_member_name (b, "cpus"); json_builder_add_int_value (b, g_get_num_processors ());
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  g_mkdir_with_parents (dir, 0755);
  return json_generator_to_file (generator, load->output, error);
}

/* --- main ------------------------------------------------------------------- */

static gboolean
parse_options (Load    *load,
               int     *argc,
               char  ***argv,
               GError **error)
{
  gint clients = 1000, room_size = 5;
  double duration = 60, rate = 1;
  const GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_FILENAME, &load->server_path, "lattice-server to start", "PATH" },
    { "clients", 'n', 0, G_OPTION_ARG_INT, &clients, "Websocket clients (default 1000)", "N" },
    { "room-size", 0, 0, G_OPTION_ARG_INT, &room_size, "Clients per room (default 5)", "N" },
    { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration, "Seconds of steady traffic (default 60)", "S" },
    { "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &rate, "Messages per second per client (default 1)", "R" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &load->output,
      "JSON results (default bench/results/load.json)", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— signaling load on one lattice-server");

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (clients < 2 || room_size < 2 || duration <= 0 || rate <= 0)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--clients and --room-size must be at least 2, --duration and --rate positive");
      return FALSE;
    }

  load->n_clients = clients;
  load->room_size = room_size;
  load->duration_s = duration;
  load->rate = rate;
  if (load->server_path == NULL)
    load->server_path = g_strdup (LATTICE_SERVER_PATH);
  if (load->output == NULL)
    load->output = g_strdup ("bench/results/load.json");
  return TRUE;
}

static void
load_setup (Load *load)
{
  load->clients = g_new0 (Client, load->n_clients);
  for (guint i = 0; i < load->n_clients; i++)
    {
      Client *client = &load->clients[i];

      client->load = load;
      client->index = i;
      client->room = i / load->room_size;
      client->sent_to = g_new0 (guint64, load->room_size);
      client->received_from = g_new0 (guint64, load->room_size);
    }
  load->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  load->latencies = g_array_new (FALSE, FALSE, sizeof (guint32));
  load->rand = g_rand_new_with_seed (42);
  /* One session; handshakes are what its connection limits apply to. */
  load->session = soup_session_new_with_options ("max-conns", 4 * load->n_clients,
                                                 "max-conns-per-host", 4 * load->n_clients,
                                                 "timeout", 0, "idle-timeout", 0, NULL);
}

static void
load_teardown (Load *load)
{
  for (guint i = 0; i < load->n_clients; i++)
    {
      Client *client = &load->clients[i];

      if (client->conn != NULL)
        {
          g_signal_handlers_disconnect_by_data (client->conn, client);
          if (soup_websocket_connection_get_state (client->conn) == SOUP_WEBSOCKET_STATE_OPEN)
            soup_websocket_connection_close (client->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
          g_object_unref (client->conn);
        }
      g_free (client->id);
      g_free (client->sent_to);
      g_free (client->received_from);
    }
  g_free (load->clients);
  g_hash_table_unref (load->by_id);
  g_array_unref (load->latencies);
  g_rand_free (load->rand);
  g_clear_object (&load->session);
  if (load->server != NULL)
    {
      g_subprocess_send_signal (load->server, SIGTERM);
      g_subprocess_wait (load->server, NULL, NULL);
      g_object_unref (load->server);
    }
  g_free (load->uri);
  g_free (load->server_path);
  g_free (load->output);
}

static int
run (Load *load)
{
  g_autoptr(GSource) tick = NULL;
  g_autoptr(GError) error = NULL;
  Figures f = { 0, };
  GPid pid;
  gint64 start;
  double server_cpu0, load_cpu0;
  gboolean ok;

  raise_fd_limit (2 * load->n_clients + 64);
  if (!start_server (load, &error))
    {
      g_printerr ("lattice-load: cannot start %s: %s\n", load->server_path, error->message);
      return 1;
    }
  pid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (load->server), NULL, 10);

  start = g_get_monotonic_time ();
  connect_more (load);
  run_until (load, all_answered, JOIN_WAIT_S);
  f.join_s = (g_get_monotonic_time () - start) / 1e6;
  g_print ("%u of %u clients joined in %.2f s; sending for %.0f s…\n",
           load->n_joined, load->n_clients, f.join_s, load->duration_s);

  server_cpu0 = proc_cpu_seconds (pid);
  load_cpu0 = self_cpu_seconds ();
  start = g_get_monotonic_time ();
  load->sending = TRUE;
  load->last_tick = start;
  tick = g_timeout_source_new (TICK_MS);
  g_source_set_callback (tick, on_tick, load, NULL);
  g_source_attach (tick, NULL);
  run_until (load, NULL, load->duration_s);
  load->sending = FALSE;
  g_source_destroy (tick);
  f.wall_s = (g_get_monotonic_time () - start) / 1e6;
  f.server_cpu_s = proc_cpu_seconds (pid) - server_cpu0;
  f.load_cpu_s = self_cpu_seconds () - load_cpu0;
  f.rss_kib = proc_status_kib (pid, "VmRSS:");
  f.peak_rss_kib = proc_status_kib (pid, "VmHWM:");
  f.loadavg = read_loadavg ();

  run_until (load, all_received, DRAIN_S);
  g_array_sort (load->latencies, compare_u32);
  print_table (load, &f);
  if (!write_json (load, &f, &error))
    g_printerr ("lattice-load: cannot write %s: %s\n", load->output, error->message);
  else
    g_print ("  written to %s\n", load->output);

  ok = load->n_joined == load->n_clients && load->received == load->sent &&
       load->misdelivered == 0 && load->out_of_order == 0 && load->closed == 0;
  return ok ? 0 : 1;
}

int
main (int   argc,
      char *argv[])
{
  Load load = { 0, };
  g_autoptr(GError) error = NULL;
  int status;

  setlocale (LC_ALL, "");
  if (!parse_options (&load, &argc, &argv, &error))
    {
      g_printerr ("lattice-load: %s\n", error->message);
      return 2;
    }

  load_setup (&load);
  status = run (&load);
  load_teardown (&load);
  return status;
}
