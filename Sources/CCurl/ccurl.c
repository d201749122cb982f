#include "ccurl.h"

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
