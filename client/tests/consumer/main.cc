// Links mosaico::client from an install prefix: models, the query builder, and a connection that must fail
// cleanly (nothing listens on port 1).
#include <cstdio>

#include <mosaico/client/builtin_models.h>
#include <mosaico/client/client.h>
#include <mosaico/client/errors.h>

int main() {
  namespace mc = mosaico::client;
  mc::Query q;
  q.ontology.With(mc::models::IMU(), "acceleration.x", mc::Op::Gt(1.0));
  std::printf("models=%zu query=%s\n", mc::models::All().size(), q.ToJson().dump().c_str());
  mc::ConnectOptions o;
  o.uri = "grpc://127.0.0.1:1";
  o.connect_timeout = std::chrono::milliseconds(100);
  auto c = mc::Client::Connect(o);
  std::printf("connect: %s\n", c.ok() ? "ok" : mc::ErrorKindName(mc::ErrorKindOf(c.status())));
  return c.ok() ? 1 : 0;
}
