#ifndef CCURL_H
#define CCURL_H
#include <curl/curl.h>
#include <stddef.h>

/* {====== Typed setters ======}
 * curl_easy_setopt, curl_multi_setopt and curl_easy_getinfo are variadic C
 * functions, which Swift cannot call. Each wrapper below fixes one option to
 * its documented argument type, so a wrong type is a compile error instead of
 * undefined behaviour at run time. */

typedef size_t (*ccurl_data_callback)(char *data, size_t size, size_t count, void *userdata);

CURLcode ccurl_set_url(CURL *h, const char *url);
CURLcode ccurl_set_method(CURL *h, const char *method); /* CUSTOMREQUEST; NULL resets */
CURLcode ccurl_set_nobody(CURL *h, int on);             /* HEAD */
CURLcode ccurl_set_httpget(CURL *h);
CURLcode ccurl_set_body(CURL *h, const char *data, long length); /* copied: COPYPOSTFIELDS */
CURLcode ccurl_set_headers(CURL *h, struct curl_slist *list);
CURLcode ccurl_set_timeout_ms(CURL *h, long ms);
CURLcode ccurl_set_connect_timeout_ms(CURL *h, long ms);
CURLcode ccurl_set_write_callback(CURL *h, ccurl_data_callback cb, void *userdata);
CURLcode ccurl_set_header_callback(CURL *h, ccurl_data_callback cb, void *userdata);
CURLcode ccurl_set_private(CURL *h, void *pointer);
CURLcode ccurl_set_common(CURL *h); /* NOSIGNAL, no redirects, http/https only, accept-encoding, TCP keep-alive */
CURLcode ccurl_set_error_buffer(CURL *h, char *buffer);  /* CURL_ERROR_SIZE bytes */
CURLcode ccurl_set_max_filesize(CURL *h, long long bytes);

/* Connect only to public unicast addresses: the check runs on the address libcurl is about to
   connect to (after DNS, so a name that resolves to 127.0.0.1 or 10.x is refused, and no DNS
   answer can change between check and use), and the transfer never reuses a pooled connection.
   Refused: 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.168/16,
   198.18/15, 224/4, 240/4; ::, ::1, fc00::/7, fe80::/10, ff00::/8, and IPv4-mapped,
   IPv4-compatible and NAT64 (64:ff9b::/96) forms of refused IPv4 addresses. */
CURLcode ccurl_set_public_only(CURL *h);
/* 1 when `address` (IPv4 or IPv6 text) is a public unicast address by the rule above; 0 otherwise or unparsable. */
int ccurl_address_is_public(const char *address);

long ccurl_get_response_code(CURL *h);
void *ccurl_get_private(CURL *h);

CURLMcode ccurl_multi_set_max_host_connections(CURLM *m, long n);
/* How many idle connections the multi handle keeps for reuse (CURLMOPT_MAXCONNECTS). */
CURLMcode ccurl_multi_set_max_connects(CURLM *m, long n);

/* A finished transfer, read from curl_multi_info_read (whose union Swift reads awkwardly). */
int ccurl_multi_next_done(CURLM *m, CURL **easy, CURLcode *result);

/* The engine thread's event loop over libcurl's multi_socket API (see ccurl.c for why).
   ccurl_loop_new installs the socket and timer callbacks on `multi`; NULL when out of descriptors. */
typedef struct ccurl_loop ccurl_loop;
ccurl_loop *ccurl_loop_new(CURLM *multi);
/* Wakes a ccurl_loop_run_once that is waiting (from any thread). */
void ccurl_loop_wakeup(ccurl_loop *loop);
/* Waits up to max_wait_ms (less when libcurl's timer is due sooner, 0 if a wake-up is pending) and
   drives the transfers whose sockets are ready or whose timeout is due. Read finished transfers with
   ccurl_multi_next_done after it. */
int ccurl_loop_run_once(ccurl_loop *loop, int max_wait_ms);

#endif
