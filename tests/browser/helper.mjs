export async function later() {
  return "loaded";
}
