/* The WebAssembly guide's example: a linked list whose nodes come from the JS side's malloc. */
#include <stddef.h>

#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

IMPORT(malloc) void *malloc(size_t size);
IMPORT(free) void free(void *ptr);

struct node {
  struct node *next;
  int value;
};

/* A list of the numbers 1..n, or as much of it as memory allows. */
EXPORT(build) struct node *build(int n) {
  struct node *head = 0;
  for (int i = n; i > 0; i--) {
    struct node *node = malloc(sizeof *node);
    if (!node) break;
    node->next = head;
    node->value = i;
    head = node;
  }
  return head;
}

EXPORT(sum) int sum(const struct node *list) {
  int total = 0;
  for (; list; list = list->next) total += list->value;
  return total;
}

EXPORT(release) void release(struct node *list) {
  while (list) {
    struct node *next = list->next;
    free(list);
    list = next;
  }
}
