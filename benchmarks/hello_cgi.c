/* The trivial CGI handler every server in cgi_throughput.sh runs: a fixed
 * response, so the figures measure the servers and their process spawning. */
#include <stdio.h>

int main(void) {
  fputs("Content-Type: text/plain\r\n\r\nhello from cgi\n", stdout);
  return 0;
}
