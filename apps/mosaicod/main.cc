#include <arrow/flight/server.h>
#include <iostream>
int main() { arrow::flight::Location loc; std::cout << "stub\n"; return 0; }
