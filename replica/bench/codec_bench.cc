// Microbenchmarks of the JSON codec: parse and serialize per message. Run
// with ./bazelw run -c opt //replica/bench:codec_bench

#include <string>

#include "benchmark/benchmark.h"
#include "replica/codec.h"

namespace stepwise {
namespace {

Message ClientPut() {
  return Message{0x15, 0, 0,
                 PutRequest{"0123456789ABCDEF", std::string(32, 'k'),
                            std::string(32, 'a')}};
}

Message AppendWith(int entries) {
  AppendEntries append;
  append.term = 7;
  append.prev_index = 1000;
  append.prev_term = 7;
  append.commit = 999;
  append.sent_at = 123456789;
  for (int i = 0; i < entries; ++i) {
    append.entries.push_back(LogEntry{7, std::string(32, 'k'),
                                      std::string(32, 'a'), 0x15,
                                      "0123456789ABCDEF"});
  }
  return Message{0, 1, 0, std::move(append)};
}

void BM_EncodeClientPut(benchmark::State& state) {
  Message m = ClientPut();
  for (auto _ : state) benchmark::DoNotOptimize(EncodeMessage(m));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeClientPut);

void BM_DecodeClientPut(benchmark::State& state) {
  std::string datagram = EncodeMessage(ClientPut());
  for (auto _ : state) benchmark::DoNotOptimize(DecodeMessage(datagram));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeClientPut);

void BM_EncodeAppend(benchmark::State& state) {
  Message m = AppendWith(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(EncodeMessage(m));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeAppend)->Arg(0)->Arg(1)->Arg(16);

void BM_DecodeAppend(benchmark::State& state) {
  std::string datagram = EncodeMessage(AppendWith(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(DecodeMessage(datagram));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeAppend)->Arg(0)->Arg(1)->Arg(16);

}  // namespace
}  // namespace stepwise
