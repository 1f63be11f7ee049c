#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace storefront {

// The names of an enum whose values run 0..N-1 in declaration order: one
// table per enum instead of a hand-written switch, and the same table parses
// a name back (e.g. a status read from MongoDB).
template <class Enum, std::size_t N>
class EnumNames {
 public:
  constexpr explicit EnumNames(std::array<const char*, N> names) : names_(names) {}

  // `fallback` for a value outside the table (a cast from a bad integer).
  constexpr const char* name(Enum value, const char* fallback) const {
    const auto index = static_cast<std::size_t>(value);
    return index < N ? names_[index] : fallback;
  }

  constexpr std::optional<Enum> parse(std::string_view name) const {
    for (std::size_t i = 0; i < N; ++i) {
      if (name == names_[i]) return static_cast<Enum>(i);
    }
    return std::nullopt;
  }

  static constexpr std::size_t size() { return N; }

 private:
  std::array<const char*, N> names_;
};

// Builds the table and checks at compile time that it has one name per value
// from the first to `kLast` (a value added or removed without its name fails
// to build).
template <class Enum, Enum kLast, std::size_t N>
constexpr EnumNames<Enum, N> enum_names(std::array<const char*, N> names) {
  static_assert(N == static_cast<std::size_t>(kLast) + 1, "one name per enum value");
  return EnumNames<Enum, N>(names);
}

}  // namespace storefront
