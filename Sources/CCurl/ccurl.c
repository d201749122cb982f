#include "ccurl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

CURLcode ccurl_set_url(CURL *h, const char *url) { return curl_easy_setopt(h, CURLOPT_URL, url); }
CURLcode ccurl_set_method(CURL *h, const char *method) { return curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method); }
CURLcode ccurl_set_nobody(CURL *h, int on) { return curl_easy_setopt(h, CURLOPT_NOBODY, (long)(on != 0)); }
CURLcode ccurl_set_httpget(CURL *h) { return curl_easy_setopt(h, CURLOPT_HTTPGET, 1L); }
CURLcode ccurl_set_body(CURL *h, const char *data, long length) {
    CURLcode rc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, length);
    if (rc != CURLE_OK) return rc;
    return curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, data);
}
CURLcode ccurl_set_headers(CURL *h, struct curl_slist *list) { return curl_easy_setopt(h, CURLOPT_HTTPHEADER, list); }
CURLcode ccurl_set_timeout_ms(CURL *h, long ms) { return curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms); }
CURLcode ccurl_set_connect_timeout_ms(CURL *h, long ms) { return curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms); }
CURLcode ccurl_set_write_callback(CURL *h, ccurl_data_callback cb, void *userdata) {
    CURLcode rc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cb);
    if (rc != CURLE_OK) return rc;
    return curl_easy_setopt(h, CURLOPT_WRITEDATA, userdata);
}
CURLcode ccurl_set_header_callback(CURL *h, ccurl_data_callback cb, void *userdata) {
    CURLcode rc = curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, cb);
    if (rc != CURLE_OK) return rc;
    return curl_easy_setopt(h, CURLOPT_HEADERDATA, userdata);
}
CURLcode ccurl_set_private(CURL *h, void *pointer) { return curl_easy_setopt(h, CURLOPT_PRIVATE, pointer); }
CURLcode ccurl_set_error_buffer(CURL *h, char *buffer) { return curl_easy_setopt(h, CURLOPT_ERRORBUFFER, buffer); }
CURLcode ccurl_set_max_filesize(CURL *h, long long bytes) {
    return curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)bytes);
}

CURLcode ccurl_set_common(CURL *h) {
    CURLcode rc;
    /* Signals are not thread-safe: a background thread must never get SIGALRM from curl's resolver. */
    if ((rc = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK) return rc;
    /* Redirects could carry redacted or classified data to a host the operator never configured. */
    if ((rc = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L)) != CURLE_OK) return rc;
#if LIBCURL_VERSION_NUM >= 0x075500
    if ((rc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https")) != CURLE_OK) return rc;
#else
    if ((rc = curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS))) != CURLE_OK) return rc;
#endif
    if ((rc = curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L)) != CURLE_OK) return rc;
    if ((rc = curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L)) != CURLE_OK) return rc;
    return CURLE_OK;
}

long ccurl_get_response_code(CURL *h) {
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

void *ccurl_get_private(CURL *h) {
    char *p = NULL;
    curl_easy_getinfo(h, CURLINFO_PRIVATE, &p);
    return p;
}

CURLMcode ccurl_multi_set_max_host_connections(CURLM *m, long n) {
    return curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, n);
}
CURLMcode ccurl_multi_set_max_connects(CURLM *m, long n) {
    return curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, n);
}

int ccurl_multi_next_done(CURLM *m, CURL **easy, CURLcode *result) {
    int queued = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(m, &queued)) != NULL) {
        if (msg->msg == CURLMSG_DONE) {
            *easy = msg->easy_handle;
            *result = msg->data.result;
            return 1;
        }
    }
    return 0;
}

/* {====== Public addresses only ======} */

static int ipv4_is_public(const unsigned char a[4]) {
    if (a[0] == 0 || a[0] == 10 || a[0] == 127 || a[0] >= 224) return 0;     /* this net, private, loopback, multicast, reserved */
    if (a[0] == 100 && (a[1] & 0xC0) == 64) return 0;                        /* 100.64/10 carrier-grade NAT */
    if (a[0] == 169 && a[1] == 254) return 0;                                /* link-local, cloud metadata */
    if (a[0] == 172 && (a[1] & 0xF0) == 16) return 0;                        /* 172.16/12 */
    if (a[0] == 192 && a[1] == 168) return 0;                                /* 192.168/16 */
    if (a[0] == 192 && a[1] == 0 && a[2] == 0) return 0;                     /* 192.0.0/24 protocol assignments */
    if (a[0] == 198 && (a[1] & 0xFE) == 18) return 0;                        /* 198.18/15 benchmarking */
    return 1;
}

static int ipv6_is_public(const unsigned char a[16]) {
    static const unsigned char zeros[12] = {0};
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    static const unsigned char nat64[12] = {0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0};
    /* ::, ::1 and ::a.b.c.d (IPv4-compatible) all start with 12 zero bytes */
    if (memcmp(a, zeros, 12) == 0) return 0;
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0) return ipv4_is_public(a + 12);
    if ((a[0] & 0xFE) == 0xFC) return 0;                                     /* fc00::/7 unique local */
    if (a[0] == 0xFE && (a[1] & 0xC0) == 0x80) return 0;                     /* fe80::/10 link-local */
    if (a[0] == 0xFE && (a[1] & 0xC0) == 0xC0) return 0;                     /* fec0::/10 old site-local */
    if (a[0] == 0xFF) return 0;                                              /* multicast */
    return 1;
}

static int sockaddr_is_public(const struct sockaddr *sa) {
    if (sa->sa_family == AF_INET) return ipv4_is_public((const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr);
    if (sa->sa_family == AF_INET6) return ipv6_is_public(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
    return 0;
}

int ccurl_address_is_public(const char *address) {
    unsigned char buf[16];
    if (inet_pton(AF_INET, address, buf) == 1) return ipv4_is_public(buf);
    if (inet_pton(AF_INET6, address, buf) == 1) return ipv6_is_public(buf);
    return 0;
}

static curl_socket_t public_only_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *address) {
    (void)clientp; (void)purpose;
    if (!sockaddr_is_public(&address->addr)) return CURL_SOCKET_BAD; /* libcurl reports "couldn't connect" */
    return socket(address->family, address->socktype, address->protocol);
}

CURLcode ccurl_set_public_only(CURL *h) {
    CURLcode rc;
    if ((rc = curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, public_only_socket)) != CURLE_OK) return rc;
    /* A pooled connection was opened without this check (a model provider on loopback, say). */
    if ((rc = curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L)) != CURLE_OK) return rc;
    return curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
}

/* {====== The event loop of the engine thread ======}
 * Why the multi_socket API and not curl_multi_perform + curl_multi_poll: perform walks every transfer
 * in the multi handle and poll rebuilds (and, past ten sockets, mallocs) the descriptor list of all of
 * them on every wake-up, so with n calls in flight each request cost O(n) work on the one engine thread
 * (issue 18). Here libcurl tells us which sockets to watch (socket callback -> epoll) and when it
 * next needs a timeout (timer callback), and each wake-up handles only the sockets that are ready.
 * Hand-written because libcurl leaves the event loop to the application by design. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct ccurl_loop {
    CURLM *multi;
    int epfd;
    int wakefd;
    int armed;               /* whether libcurl's timer is set */
    long long due_ns;        /* when it fires, CLOCK_MONOTONIC in nanoseconds */
};

static long long now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

/* Sets the timer `timeout_ms` from now (-1: none). Never earlier than libcurl asked: a timer fired
   early makes libcurl find nothing due, and since its next expiry is then unchanged it does not call
   the timer callback again, which would leave a transfer's timeout unwatched. */
static void arm(ccurl_loop *loop, long timeout_ms) {
    loop->armed = timeout_ms >= 0;
    if (loop->armed) loop->due_ns = now_ns() + (long long)timeout_ms * 1000000LL;
}

static int loop_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp) {
    (void)easy; (void)socketp;
    ccurl_loop *loop = userp;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(loop->epfd, EPOLL_CTL_DEL, s, NULL); /* may be closed already: nothing to undo then */
        return 0;
    }
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
    ev.data.fd = s;
    if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, s, &ev) != 0 && errno == ENOENT) {
        epoll_ctl(loop->epfd, EPOLL_CTL_ADD, s, &ev);
    }
    return 0;
}

static int loop_timer(CURLM *multi, long timeout_ms, void *userp) {
    (void)multi;
    arm(userp, timeout_ms);
    return 0;
}

ccurl_loop *ccurl_loop_new(CURLM *multi) {
    ccurl_loop *loop = calloc(1, sizeof *loop);
    if (!loop) return NULL;
    loop->multi = multi;
    loop->armed = 0;
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    loop->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (loop->epfd < 0 || loop->wakefd < 0) {
        if (loop->epfd >= 0) close(loop->epfd);
        if (loop->wakefd >= 0) close(loop->wakefd);
        free(loop);
        return NULL;
    }
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.fd = loop->wakefd;
    epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wakefd, &ev);
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, loop_socket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, loop);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, loop_timer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, loop);
    return loop;
}

void ccurl_loop_wakeup(ccurl_loop *loop) {
    uint64_t one = 1;
    ssize_t written = write(loop->wakefd, &one, sizeof one); /* EAGAIN: a wake-up is pending anyway */
    (void)written;
}

int ccurl_loop_run_once(ccurl_loop *loop, int max_wait_ms) {
    int wait = max_wait_ms;
    if (loop->armed) {
        long long left_ns = loop->due_ns - now_ns();
        /* Rounded up to whole milliseconds (epoll's unit): the wait never ends before the timer is due. */
        long long left_ms = left_ns <= 0 ? 0 : (left_ns + 999999) / 1000000;
        if (left_ms < wait) wait = (int)left_ms;
    }
    struct epoll_event events[64];
    int n = epoll_wait(loop->epfd, events, 64, wait);
    int running = 0;
    for (int i = 0; i < n; i++) {
        int fd = events[i].data.fd;
        if (fd == loop->wakefd) {
            uint64_t count;
            ssize_t got = read(loop->wakefd, &count, sizeof count);
            (void)got;
            continue;
        }
        uint32_t e = events[i].events;
        int mask = ((e & EPOLLIN) ? CURL_CSELECT_IN : 0) | ((e & EPOLLOUT) ? CURL_CSELECT_OUT : 0)
                 | ((e & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(loop->multi, fd, mask, &running);
    }
    if (loop->armed && now_ns() >= loop->due_ns) {
        loop->armed = 0; /* before the call: libcurl sets the next timer from inside it when it changes */
        curl_multi_socket_action(loop->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        if (!loop->armed) {
            /* Not called back (the next expiry equals the one just handled, as libcurl sees it): ask. */
            long next = -1;
            if (curl_multi_timeout(loop->multi, &next) == CURLM_OK && next >= 0) arm(loop, next > 0 ? next : 1);
        }
    }
    return n < 0 ? 0 : n;
}
